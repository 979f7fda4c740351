/** VJP rules: normalization (to be filled). */
export {};
