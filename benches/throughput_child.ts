/**
 * One engine's side of `bench:throughput`: a long-lived child process that trains one training
 * step (forward, backward, Adam update, BatchNorm moving averages) on request and reports its
 * times. It loads the engine from `--root` by dynamic import, so the same script drives this
 * checkout and an older one (a git worktree of another commit) with the same measurement code;
 * it knows both source layouts (before and after the engine/nn split). Run with the root's own
 * deno.json (`--config ROOT/deno.json`) so each engine uses its own dependencies.
 *
 * Protocol: one JSON request per stdin line, one JSON answer per stdout line (see `Request`).
 */
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { lines } from "../engine/lines.ts";

/** What the parent asks for. */
export interface Request {
  arch: string;
  algo: string;
  batch: number;
  /** Timed steps (after WARMUP_STEPS untimed ones the first time a cell is used). */
  steps: number;
  /** Per-kernel profile of one more step (tf.profile). */
  profile?: boolean;
  /** SHA-256 of the cell's parameters after all its steps so far. */
  digest?: boolean;
}

/** What the child answers. */
export interface Answer {
  ms: number[];
  /** Channels of the network's first convolution (reported so widths can be compared). */
  firstChannels: number | null;
  kernels?: Array<{ name: string; ms: number; calls: number }>;
  profiledMs?: number;
  digest?: string;
  error?: string;
}

/** Untimed steps before a cell's first timed one. */
const WARMUP_STEPS = 3;

/** Architectures compared at a fixed first-conv width, so both engines train the same network. */
const SAME_FIRST_CHANNELS: Record<string, number> = { resnet20: 16 };

const { values } = parseArgs({ args: Deno.args, options: { root: { type: "string" } } });
const root = new URL(`file://${Deno.realPathSync(values.root ?? ".")}/`);
const at = (p: string) => new URL(p, root).href;
const newLayout = existsSync(new URL("engine/nn/model.ts", root));

// deno-lint-ignore no-explicit-any
type Any = any;
const { tf, initBackend } = await import(at("engine/tf.ts")) as Any;
const { buildModel } = await import(
  at(newLayout ? "engine/nn/model.ts" : "engine/models.ts")
) as Any;
const { makeOptimizer } = await import(
  at(newLayout ? "engine/nn/optim.ts" : "engine/optim.ts")
) as Any;
const { Rng } = await import(at("engine/rng.ts")) as Any;
if (newLayout) {
  (await import(at("app/plugins.ts")) as Any).installPlugins();
} else {
  await import(at("engine/binarizers/mod.ts"));
  await import(at("engine/models/vit.ts"));
}
await initBackend("wasm");

interface Cell {
  model: Any;
  vars: Any[];
  opt: Any;
  x: Any;
  y: Any;
  firstChannels: number | null;
  warm: boolean;
}
const cells = new Map<string, Cell>();

function firstConvChannels(model: Any): number | null {
  for (const v of model.store.trainable()) if (v.shape.length === 4) return v.shape[3];
  return null;
}

function makeCell(r: Request): Cell {
  const input = { inputShape: [28, 28, 1], numClasses: 10, binarizer: r.algo, seed: 1 };
  let width = 1;
  const want = SAME_FIRST_CHANNELS[r.arch];
  if (want) {
    const probe = buildModel(r.arch, input);
    width = want / (firstConvChannels(probe) ?? want);
    probe.store.dispose();
  }
  const model = buildModel(r.arch, { ...input, width });
  const rng = new Rng(7);
  const xs = Float32Array.from({ length: r.batch * 784 }, () => rng.next());
  const labels = Int32Array.from({ length: r.batch }, () => rng.int(10));
  const x = tf.tensor4d(xs, [r.batch, 28, 28, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), 10));
  const opt = makeOptimizer({
    optimizer: "adam",
    lr: 1e-3,
    momentum: 0.9,
    weightDecay: 0,
    schedule: "constant",
  });
  const vars = model.store.trainable();
  return { model, vars, opt, x, y, firstChannels: firstConvChannels(model), warm: false };
}

/** One training step, as engine/nn/train.ts runs it (loss read back every step). */
function step(c: Cell): void {
  const ctx = { training: true, state: {}, bnUpdates: [] as Any[] };
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(c.y, c.model.apply(c.x, ctx)),
    c.vars,
  );
  c.opt.step(c.vars, c.vars.map((v: Any) => grads[v.name] ?? null), 1e-3, c.vars.map(() => false));
  for (const u of ctx.bnUpdates) {
    u.layer.update(u.mean, u.variance, u.count);
    tf.dispose([u.mean, u.variance]);
  }
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}

async function handle(r: Request): Promise<Answer> {
  const key = `${r.arch}/${r.algo}/${r.batch}`;
  let c = cells.get(key);
  if (!c) cells.set(key, c = makeCell(r));
  if (!c.warm) {
    // Warm-up: the first steps compile the JavaScript kernels and fill tfjs's caches.
    for (let i = 0; i < WARMUP_STEPS; i++) step(c);
    c.warm = true;
  }
  const ms: number[] = [];
  for (let i = 0; i < r.steps; i++) {
    const t0 = performance.now();
    step(c);
    ms.push(performance.now() - t0);
  }
  const answer: Answer = { ms, firstChannels: c.firstChannels };
  if (r.profile) {
    const t0 = performance.now();
    const info = await tf.profile(() => step(c!));
    answer.profiledMs = performance.now() - t0;
    const by = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = by.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += Number(k.kernelTimeMs) || 0;
      e.calls++;
      by.set(k.name, e);
    }
    answer.kernels = [...by].map(([name, e]) => ({ name, ...e }));
  }
  if (r.digest) {
    const h = createHash("sha256");
    for (const v of c.model.store.trainable()) h.update(new Uint8Array(v.dataSync().buffer));
    answer.digest = h.digest("hex");
  }
  return answer;
}

const out = Deno.stdout.writable.getWriter();
const enc = new TextEncoder();
for await (const line of lines(Deno.stdin.readable)) {
  if (!line.trim()) continue;
  let answer: Answer;
  try {
    answer = await handle(JSON.parse(line) as Request);
  } catch (e) {
    answer = { ms: [], firstChannels: null, error: e instanceof Error ? e.message : String(e) };
  }
  await out.write(enc.encode(JSON.stringify(answer) + "\n"));
}
