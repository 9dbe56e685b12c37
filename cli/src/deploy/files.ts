/**
 * Every file `glassbox deploy build` writes, and the check that the committed ones are what the manifest and
 * the generators render (`glassbox deploy check`, and deploy-files.test.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeFiles, type GeneratedFile } from './compose.js';
import { k8sFiles } from './k8s.js';

export type { GeneratedFile };

export function deployFiles(root: string): GeneratedFile[] {
  return [...composeFiles(), ...k8sFiles(root)];
}

/** The generated files whose committed copy is missing or differs. */
export function staleFiles(root: string, files: readonly GeneratedFile[] = deployFiles(root)): string[] {
  return files
    .filter((f) => {
      const file = path.join(root, f.path);
      return !existsSync(file) || readFileSync(file, 'utf8') !== f.text;
    })
    .map((f) => f.path);
}

export function writeDeployFiles(
  root: string,
  files: readonly GeneratedFile[] = deployFiles(root),
): string[] {
  const written: string[] = [];
  for (const f of files) {
    const file = path.join(root, f.path);
    if (existsSync(file) && readFileSync(file, 'utf8') === f.text) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, f.text);
    written.push(f.path);
  }
  return written;
}
