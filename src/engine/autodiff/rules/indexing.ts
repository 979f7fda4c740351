/** VJP rules: indexing (to be filled). */
export {};
