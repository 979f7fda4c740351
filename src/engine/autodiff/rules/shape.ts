/** VJP rules: shape (to be filled). */
export {};
