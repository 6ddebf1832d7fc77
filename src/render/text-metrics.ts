/**
 * Text widths for vega's layout. Without node-canvas, vega guesses every string as
 * 0.8 × fontSize per character, about 35% too wide for DejaVu Sans: legends spread out and axes
 * get extra margin. These are DejaVu Sans advance widths (the font librsvg picks for "sans-serif"
 * on Debian), measured through pango in thousandths of an em, for printable ASCII then "·—–…".
 */

const CHARS = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), "·", "—", "–", "…"];

const NORMAL = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 300, 337, 636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838,
  531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390,
  838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337,
  636, 838, 318, 1000, 500, 1000,
];

const BOLD = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838,
  580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457,
  838, 500, 500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365,
  712, 838, 380, 1000, 500, 1000,
];

function tableOf(widths: readonly number[]): Map<string, number> {
  return new Map(CHARS.map((c, i) => [c, (widths[i] ?? 600) / 1000]));
}

const normalWidths = tableOf(NORMAL);
const boldWidths = tableOf(BOLD);
/** Characters outside the table (other scripts, symbols) count as a typical lowercase letter. */
const FALLBACK_EM = 0.6;

/** Width in pixels of `text` set in DejaVu Sans at `fontSize` px. */
export function sansTextWidth(text: string, fontSize: number, bold = false): number {
  const table = bold ? boldWidths : normalWidths;
  let em = 0;
  for (const char of text) em += table.get(char) ?? FALLBACK_EM;
  return em * fontSize;
}

/** Whether a CSS font-weight value is bold (vega passes "bold" or numbers like 700). */
export function isBoldWeight(weight: unknown): boolean {
  if (weight === "bold" || weight === "bolder") return true;
  const numeric = typeof weight === "number" ? weight : typeof weight === "string" ? Number(weight) : NaN;
  return numeric >= 600;
}
