/**
 * Where `nbresume run` gets its kernel when given --server URL --token T: a running Jupyter server
 * (Debian's, with the nbresume kernel), the notebook found on it so the kernel runs in the
 * notebook's folder, the kernel shut down at the end; and the clear errors for a wrong token, a
 * URL where no server answers, a kernel the server does not have, and --token without --server.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { cliMessages } from "../../src/cli/messages.js";
import { supervisorMessages as msg, SupervisorExit } from "../../src/supervisor/messages.js";
import { startJupyterServer, type JupyterServer } from "../support/jupyter-server.js";
import { notebookWithCells } from "../support/nbconvert.js";
import { createProject, readExecuted, SupervisedRun, type Project } from "./supervised-run.js";

describe("nbresume run on a running Jupyter server", function () {
  this.timeout(120_000);
  let project: Project;
  let server: JupyterServer;
  let notebook: string;

  before(async function () {
    project = createProject("nbresume-supervisor-server-");
    server = await startJupyterServer({ rootDir: project.dir });
    const nb = notebookWithCells(['let greeting = "hi";', "console.log(process.cwd());\nconsole.log(greeting);"]);
    notebook = project.writeNotebook("greet.ipynb", { ...nb, cells: nb.cells.map((c, i) => (i === 0 ? { ...c, metadata: { tags: ["parameters"] } } : c)) });
  });

  after(async function () {
    await server?.close();
    project?.remove();
  });

  async function sessions(): Promise<unknown[]> {
    const response = await fetch(`${server.baseUrl}api/sessions`, { headers: { Authorization: `token ${server.token}` } });
    return (await response.json()) as unknown[];
  }

  it("connects by URL and token, runs the notebook in its folder with the parameters, and shuts its kernel down", async function () {
    const run = await SupervisedRun.run(project, [notebook, "--server", server.baseUrl, "--token", server.token, "--param", "greeting=hello"]);
    assert.equal(run.exit.code, SupervisorExit.FINISHED, run.output);
    assert.ok(run.stderr.includes(msg.connected(server.baseUrl)), run.output);
    assert.ok(!run.stderr.includes(msg.notebookNotOnServer("greet.ipynb")), "the server serves the notebook's folder");
    assert.equal(run.stdout.trim().split("\n").slice(-2).join("\n"), `${project.dir}\nhello`);
    assert.equal(readExecuted(join(project.dir, "greet.executed.ipynb")).metadata.nbresume?.run?.status, "finished");
    assert.deepEqual(await sessions(), [], "no session left on the server");
    assert.ok(!/Starting WebSocket|Connection lost/.test(run.output), "the client library's own chatter is not shown");
  });

  it("says the token was refused, and what to pass, for a wrong token", async function () {
    const run = await SupervisedRun.run(project, [notebook, "--server", server.baseUrl, "--token", "not-the-token"]);
    assert.equal(run.exit.code, 1, run.output);
    assert.equal(run.stderr, `${cliMessages.error(msg.serverAuthFailed(server.baseUrl, 403))}\n`);
  });

  it("says nothing answers at a URL where no server runs", async function () {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
      });
    });
    const url = `http://127.0.0.1:${port}/`;
    const run = await SupervisedRun.run(project, [notebook, "--server", url, "--token", "t"]);
    assert.equal(run.exit.code, 1, run.output);
    assert.match(
      run.stderr,
      new RegExp(`^error: cannot reach a Jupyter server at ${url.replace(/[./]/g, "\\$&")} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)\\. `),
    );
  });

  it("names the kernels the server has when it lacks the one asked for", async function () {
    const run = await SupervisedRun.run(project, [notebook, "--server", server.baseUrl, "--token", server.token, "--kernel", "nope"]);
    assert.equal(run.exit.code, 1, run.output);
    // What the server has depends on the machine too (Debian's ipykernel adds python3): ask it.
    const specs = (await (await fetch(`${server.baseUrl}api/kernelspecs`, { headers: { Authorization: `token ${server.token}` } })).json()) as {
      kernelspecs: Record<string, unknown>;
    };
    const names = Object.keys(specs.kernelspecs).sort();
    assert.ok(names.includes("nbresume"), names.join(", "));
    assert.equal(run.stderr, `${cliMessages.error(msg.kernelNotInstalled("nope", server.baseUrl, names, false))}\n`);
  });

  it("refuses --token without --server as a usage error", async function () {
    const run = await SupervisedRun.run(project, [notebook, "--token", "t"]);
    assert.equal(run.exit.code, 2, run.output);
    assert.match(run.stderr, new RegExp(`^nbresume: ${cliMessages.runTokenNeedsServer().replace(/[().]/g, "\\$&")}$`, "m"));
  });
});
