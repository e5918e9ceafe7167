import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CliError } from './admin-client';
import type { ChatbotDocuments } from './desired-state';
import { chatbotFileSets, configFormat, parseConfigText } from './layout';
import type { ConfigProblem } from './problems';

/** Reading and writing configuration folders on disk; what the files mean is decided in layout.ts. */

function listFiles(root: string, folder = root, depth = 0): string[] {
  if (depth > 3) return [];
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') return [];
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return listFiles(root, path, depth + 1);
    return entry.isFile() ? [relative(root, path).split(sep).join('/')] : [];
  });
}

/**
 * The chatbots a folder defines, each file read and parsed (not yet validated). The folder holds chatbot folders,
 * or is one (it has a chatbot file): then only that chatbot is read. Paths are reported from the folder of chatbots.
 */
export function readConfigFolder(dir: string): { documents: ChatbotDocuments[]; problems: ConfigProblem[] } {
  const folder = resolve(dir);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new CliError(`${dir}: no such folder`);
  const single = ['chatbot.yaml', 'chatbot.yml', 'chatbot.json'].some((name) => existsSync(join(folder, name)));
  const root = single ? dirname(folder) : folder;
  const files = single ? listFiles(root, folder, 1) : listFiles(root);
  const { chatbots, problems } = chatbotFileSets(files);
  if (chatbots.length === 0 && problems.length === 0)
    problems.push({
      file: dir,
      path: '',
      message: 'no chatbots here: expected <chatbot>/chatbot.yaml and <chatbot>/actions/<name>.yaml',
    });
  const read = (file: string): { value: unknown } | null => {
    const parsed = parseConfigText(file, readFileSync(join(root, file), 'utf8'));
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      return null;
    }
    return parsed;
  };
  const documents: ChatbotDocuments[] = [];
  for (const chatbot of chatbots) {
    const settings = read(chatbot.chatbotFile);
    const actions = chatbot.actionFiles.flatMap(({ name, file }) => {
      const action = read(file);
      return action ? [{ name, file, value: action.value }] : [];
    });
    if (settings)
      documents.push({ id: chatbot.id, chatbot: { file: chatbot.chatbotFile, value: settings.value }, actions });
  }
  return { documents, problems };
}

/**
 * Writes one chatbot's exported files under `dir` and removes the configuration files of that chatbot's folder that
 * the export did not write (actions the API no longer has, the other format), so that the folder says what the API
 * holds. Answers what was written and removed, relative to `dir`.
 */
export function writeChatbotFolder(
  dir: string,
  chatbotId: string,
  files: readonly { path: string; text: string }[],
): { written: string[]; removed: string[] } {
  const root = resolve(dir);
  const written = new Set(files.map((file) => file.path));
  const removed: string[] = [];
  const folder = join(root, chatbotId);
  if (existsSync(folder)) {
    for (const file of listFiles(root, folder, 1)) {
      const inLayout = /^[^/]+\/(chatbot\.[^/.]+|actions\/[^/]+)$/.test(file);
      if (inLayout && configFormat(file) !== null && !written.has(file)) {
        rmSync(join(root, file));
        removed.push(file);
      }
    }
  }
  for (const file of files) {
    const path = join(root, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.text);
  }
  return { written: [...written], removed };
}
