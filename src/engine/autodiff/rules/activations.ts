/** VJP rules: activations (to be filled). */
export {};
