/** VJP rules: convolution (to be filled). */
export {};
