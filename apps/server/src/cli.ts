import type { Context } from './context.ts';
import { AppError } from './errors.ts';
import { subdivideGrids } from './modules/regions/regions.grid.ts';
import { type ImportProblem, importRegions } from './modules/regions/regions.import.ts';

/**
 * Data commands beyond serve/migrate/demo: imports and grid subdivision.
 *
 *   import regions <file.geojson> --divisions <file.csv> [--make-valid]
 *   import components <file> [--coord-sys wgs84|gcj02|bd09] [--skip-bad]
 *   import gazetteer <file> [--coord-sys wgs84|gcj02|bd09] [--skip-bad]
 *   grid [--level street|community] [--size M2] [--code PREFIX] [--replace]
 *   dispatch seed   routing rules from the classes' default departments (idempotent)
 *
 * Prints a readable summary; any failure is thrown (main prints it and exits 1).
 */
export async function runCommand(ctx: Context, cmd: string, args: string[]): Promise<void> {
  const print = (line = '') => console.log(line);
  try {
    if (cmd === 'import') {
      const [what, ...rest] = args;
      switch (what) {
        case 'regions':
          return await importRegionsCommand(ctx, rest, print);
        case 'components':
          return await importComponentsCommand(ctx, rest, print);
        case 'gazetteer':
          return await importGazetteerCommand(ctx, rest, print);
        default:
          throw usage(`未知的导入类型 "${what ?? ''}" / Unknown import "${what ?? ''}": expected regions, components or gazetteer`);
      }
    }
    if (cmd === 'grid') return await gridCommand(ctx, args, print);
    if (cmd === 'dispatch' && args[0] === 'seed') {
      print(JSON.stringify(await ctx.services.dispatch.seedDefaultRules()));
      return;
    }
    throw usage(`未知命令 / Unknown command: ${[cmd, ...args].join(' ')}`);
  } catch (err) {
    if (err instanceof AppError) printDetails(err);
    throw err;
  }
}

export class UsageError extends Error {}
const usage = (msg: string) => new UsageError(`${msg}\n(cityloop --help)`);

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Splits args into positionals and --flags; `valued` flags take the next argument (or --flag=value). */
export function parseArgs(args: string[], valued: string[], booleans: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (valued.includes(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') throw usage(`${name} 需要一个值 / ${name} needs a value`);
      flags.set(name, value);
    } else if (booleans.includes(name) && eq < 0) {
      flags.set(name, true);
    } else {
      throw usage(`未知选项 / Unknown option: ${a}`);
    }
  }
  return { positional, flags };
}

const str = (p: Parsed, name: string) => p.flags.get(name) as string | undefined;

async function importRegionsCommand(ctx: Context, args: string[], print: (l?: string) => void) {
  const p = parseArgs(args, ['--divisions'], ['--make-valid']);
  const [geojsonPath, extra] = p.positional;
  const divisionsCsvPath = str(p, '--divisions');
  if (!geojsonPath || !divisionsCsvPath || extra) {
    throw usage('用法 / Usage: cityloop import regions <file.geojson> --divisions <file.csv> [--make-valid]');
  }
  const s = await importRegions(ctx, {
    geojsonPath,
    divisionsCsvPath,
    makeValid: p.flags.has('--make-valid'),
    log: (m) => print(`  ${m}`),
  });
  print(`Imported regions in ${s.seconds.toFixed(1)} s: ${s.districts} districts, ${s.streets} streets, ${s.communities} communities`);
  print(`  new codes: ${s.created}; new versions of existing codes: ${s.versioned}; boundaries derived from the parent: ${s.derived}`);
  if (s.reusedParents) print(`  parents taken from the database: ${s.reusedParents}`);
  for (const w of s.warnings) print(`  warning: ${w}`);
}

async function gridCommand(ctx: Context, args: string[], print: (l?: string) => void) {
  const p = parseArgs(args, ['--level', '--size', '--code'], ['--replace']);
  if (p.positional.length) throw usage(`多余的参数 / Unexpected argument: ${p.positional.join(' ')}`);
  const level = str(p, '--level');
  if (level !== undefined && level !== 'street' && level !== 'community')
    throw usage('--level 应为 street 或 community / --level must be street or community');
  const sizeText = str(p, '--size');
  const size = sizeText === undefined ? undefined : Number(sizeText);
  if (size !== undefined && !Number.isFinite(size)) throw usage(`--size 应为平方米数 / --size must be a number of m²: ${sizeText}`);
  const s = await subdivideGrids(ctx, {
    level,
    targetAreaM2: size,
    codePrefix: str(p, '--code'),
    replace: p.flags.has('--replace'),
    log: (m) => print(`  ${m}`),
  });
  print(
    `Subdivided ${s.parents} ${s.level === 'street' ? 'streets' : 'communities'} into ${s.grids} grids of about ${s.targetAreaM2} m² in ${s.seconds.toFixed(1)} s`,
  );
  print(`  grid area min / mean / max: ${s.minAreaM2} / ${s.meanAreaM2} / ${s.maxAreaM2} m²; slivers merged: ${s.sliversMerged}`);
  if (s.closed) print(`  closed ${s.closed} earlier grid versions (kept as history)`);
  if (s.level === 'street') print("  street parents have no communities: grid codes use community segment '000'");
  for (const b of s.byParent.slice(0, 50)) print(`  ${b.code} ${b.name}: ${b.grids}`);
  if (s.byParent.length > 50) print(`  … and ${s.byParent.length - 50} more`);
  for (const w of s.warnings) print(`  warning: ${w}`);
}

type FileImporter = (ctx: Context, path: string, opts: Record<string, unknown>) => Promise<unknown>;

/** Loads an importer written in another module; a clear error while it does not exist. */
async function loadImporter(modulePath: string, name: string): Promise<FileImporter> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modulePath as string)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(
      `该导入功能不可用 / This import is not available: cannot load ${modulePath} (${(err as Error).message.split('\n')[0]})`,
    );
  }
  const fn = mod[name];
  if (typeof fn !== 'function') throw new Error(`该导入功能不可用 / This import is not available: ${modulePath} has no ${name}()`);
  return fn as FileImporter;
}

async function importComponentsCommand(ctx: Context, args: string[], print: (l?: string) => void) {
  const p = parseArgs(args, ['--coord-sys'], ['--skip-bad']);
  const [file, extra] = p.positional;
  if (!file || extra)
    throw usage('用法 / Usage: cityloop import components <file.geojson|file.csv> [--coord-sys wgs84|gcj02|bd09] [--skip-bad]');
  const coordSys = str(p, '--coord-sys') ?? 'wgs84';
  if (!['wgs84', 'gcj02', 'bd09'].includes(coordSys))
    throw usage('--coord-sys 应为 wgs84、gcj02 或 bd09 / --coord-sys must be wgs84, gcj02 or bd09');
  const run = await loadImporter('./modules/components/components.import.ts', 'importComponentsFile');
  const report = await run(ctx, file, { coordSys, skipInvalid: p.flags.has('--skip-bad'), actorId: null });
  printReport('components', report, print);
  const r = report as { committed?: boolean; invalidRows?: number } | null;
  if (r && r.committed === false) {
    throw new Error(
      `未导入任何部件：${r.invalidRows ?? '?'} 行有错误（可用 --skip-bad 只导入正确的行）/ Nothing was imported: ${r.invalidRows ?? 'some'} row(s) have errors (use --skip-bad to import the good rows)`,
    );
  }
}

async function importGazetteerCommand(ctx: Context, args: string[], print: (l?: string) => void) {
  const p = parseArgs(args, ['--coord-sys'], ['--skip-bad']);
  const [file, extra] = p.positional;
  if (!file || extra)
    throw usage('用法 / Usage: cityloop import gazetteer <file.geojson|file.csv> [--coord-sys wgs84|gcj02|bd09] [--skip-bad]');
  const coordSys = str(p, '--coord-sys');
  if (coordSys !== undefined && !['wgs84', 'gcj02', 'bd09'].includes(coordSys))
    throw usage('--coord-sys 应为 wgs84、gcj02 或 bd09 / --coord-sys must be wgs84, gcj02 or bd09');
  const run = await loadImporter('./modules/geocode/geocode.import.ts', 'importGazetteerFile');
  const report = await run(ctx, file, { ...(coordSys ? { coordSys } : {}), skipInvalid: p.flags.has('--skip-bad'), actorId: null });
  printReport('gazetteer', report, print);
}

/** Prints another module's import report: scalar fields on one line each, lists shortened. */
function printReport(what: string, report: unknown, print: (l?: string) => void) {
  print(`Imported ${what}:`);
  if (!report || typeof report !== 'object') {
    print(`  ${String(report)}`);
    return;
  }
  for (const [key, value] of Object.entries(report as Record<string, unknown>)) {
    if (Array.isArray(value)) {
      print(`  ${key}: ${value.length}`);
      for (const item of value.slice(0, 20)) print(`    ${typeof item === 'string' ? item : JSON.stringify(item)}`);
      if (value.length > 20) print(`    … and ${value.length - 20} more`);
    } else print(`  ${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  }
}

/** Writes an AppError's details (e.g. a row-by-row import report) to stderr before main prints the message. */
function printDetails(err: AppError) {
  const details = err.details as { problems?: ImportProblem[] } | undefined;
  if (!details) return;
  if (Array.isArray(details.problems)) {
    for (const p of details.problems.slice(0, 200)) {
      const where =
        p.line !== undefined ? `${p.source} line ${p.line}` : p.feature !== undefined ? `${p.source} feature ${p.feature}` : p.source;
      console.error(`  ${where}${p.code ? ` [${p.code}]` : ''} ${p.problem}: ${p.message}`);
    }
    if (details.problems.length > 200) console.error(`  … and ${details.problems.length - 200} more`);
    return;
  }
  console.error(`  ${JSON.stringify(details)}`);
}
