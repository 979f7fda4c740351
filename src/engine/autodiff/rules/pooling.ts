/** VJP rules: pooling (to be filled). */
export {};
