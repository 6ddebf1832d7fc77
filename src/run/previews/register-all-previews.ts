/** Registers every built-in preview kind. Add one import and one entry per new kind file. */
import { audioKind } from "./audio.js";
import { decisionBoundaryKind } from "./decision-boundary.js";
import { diffusionSamplesKind } from "./diffusion-samples.js";
import { imagePredictionsKind } from "./image-predictions.js";
import { registerPreviewKind, registeredPreviewKinds, type PreviewKind } from "./preview-kind.js";
import { regressionPlotKind } from "./regression-plot.js";
import { textGenerationKind } from "./text-generation.js";

const all: PreviewKind[] = [diffusionSamplesKind, imagePredictionsKind, textGenerationKind, regressionPlotKind, decisionBoundaryKind, audioKind];

// Idempotent: the run's thread and the sampler thread both import this.
for (const kind of all) if (!registeredPreviewKinds().includes(kind.kind)) registerPreviewKind(kind);
