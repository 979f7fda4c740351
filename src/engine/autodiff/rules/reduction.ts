/** VJP rules: reduction (to be filled). */
export {};
