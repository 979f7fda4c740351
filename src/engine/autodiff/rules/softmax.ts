/** VJP rules: softmax (to be filled). */
export {};
