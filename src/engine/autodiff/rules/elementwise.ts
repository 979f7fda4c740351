/** VJP rules: elementwise (to be filled). */
export {};
