/** Importing this registers every op schema the builder knows. */
import "./elementwise.js";
import "./matmul.js";
import "./convolution.js";
import "./normalization.js";
import "./shape-ops.js";
import "./gather-scatter.js";
import "./reduce.js";
