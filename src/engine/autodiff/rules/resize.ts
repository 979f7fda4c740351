/** VJP rules: resize (to be filled). */
export {};
