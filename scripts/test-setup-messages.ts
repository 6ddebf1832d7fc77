/**
 * Every line scripts/test-setup.ts prints. test/setup/test-setup.test.ts asserts against these same
 * functions, so a reworded message cannot slip past the test.
 */

/** The environment variable that chooses what the check does. */
export const SETUP_ENV = "NBRESUME_TEST_SETUP";
/** Its values: install what is missing (default), only check, or skip the check entirely. */
export const SETUP_MODES = ["install", "check", "off"] as const;
export type SetupMode = (typeof SETUP_MODES)[number];

export const CONDA_COMMAND = "conda env create -f environment.yml && conda activate nbresume";

export function aptCommand(packages: readonly string[], sudo: boolean): string {
  return `${sudo ? "sudo " : ""}apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

export function badMode(value: string): string {
  return (
    `test setup: ${SETUP_ENV}=${value} is not one of ${SETUP_MODES.join(", ")} ` +
    `(install: install what is missing, the default; check: only check; off: skip the check).`
  );
}

export function skipped(): string {
  return `test setup: skipped (${SETUP_ENV}=off). The Jupyter tests use $JUPYTER_BIN, else /usr/bin/jupyter, else jupyter on PATH.`;
}

export function allFound(found: readonly string[], jupyter: string): string {
  return `test setup: found ${found.join(", ")} (jupyter: ${jupyter}).`;
}

export function installing(packages: readonly string[], sudo: boolean): string {
  return (
    `test setup: installing the Debian packages the tests need: ${packages.join(" ")} ` +
    `(apt-get install${sudo ? " with sudo" : " as root"}; set ${SETUP_ENV}=check or off to prevent this).`
  );
}

export function installed(packages: readonly string[]): string {
  return `test setup: installed ${packages.join(" ")}.`;
}

/** The one message `npm test` stops with when it cannot provide what the tests need. */
export function missing(what: readonly string[], packages: readonly string[], options: { conda: boolean; sudo: boolean; reason: string }): string {
  const lines = [`npm test cannot run the Jupyter and chart tests: missing ${what.join(", ")} (${options.reason}).`];
  if (options.conda) {
    lines.push(`  conda is here; this provides Jupyter:  ${CONDA_COMMAND}`);
    const fonts = packages.filter((p) => p.startsWith("fonts-"));
    if (fonts.length > 0) lines.push(`  and the chart font (Debian/Ubuntu):    ${aptCommand(fonts, options.sudo)}`);
  } else {
    lines.push(`  Debian/Ubuntu:  ${aptCommand(packages, options.sudo)}`);
    lines.push(`  conda:          ${CONDA_COMMAND}`);
  }
  lines.push(`Then run npm test again. Manage Jupyter yourself? Set JUPYTER_BIN=/path/to/jupyter, or ${SETUP_ENV}=off to skip this check.`);
  return lines.join("\n");
}

export const reasons = {
  checkOnly: `${SETUP_ENV}=check installs nothing`,
  notDebian: "this is not a Debian/Ubuntu machine with apt-get",
  noRoot: "installing needs root, and sudo is missing or asks for a password",
  stillMissing: (packages: readonly string[]) => `they are still missing after apt-get installed ${packages.join(" ")}`,
  installFailed: (command: string, status: string) => `\`${command}\` failed (${status})`,
} as const;
