/** Importing this module registers every VJP rule family. */
import './basic';
import './elementwise';
import './activations';
import './convolution';
import './pooling';
import './normalization';
import './linalg';
import './reduction';
import './softmax';
import './shape';
import './indexing';
import './resize';
import './ordering';
