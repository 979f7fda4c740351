/** VJP rules: linalg (to be filled). */
export {};
