/**
 * The engine's registration entry: importing this module registers every built-in op schema
 * (graph/ops/register-all-ops.ts) and every built-in gradient
 * (autodiff/gradients/register-all-gradients.ts), once per copy of the module. The graph builder
 * and autodiff register nothing themselves: the entry points import this module first, as tfjs-core
 * registers its gradients from its package entry — the package (src/index.ts, src/nn.ts), the
 * programs (src/cli/main.ts, src/demo/main.ts), and any script or test that builds graphs from the
 * engine's own files. Ops and gradients of a user's own are registered after these, with the same
 * registerOp/registerGradient (src/nn.ts exports them).
 */
import "./graph/ops/register-all-ops.js";
import "./autodiff/gradients/register-all-gradients.js";
