import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './paths.js';

/**
 * The README and docs/*.md link only inside the repository, to files that exist, and to
 * headings those files have: a standalone clone has nothing beside it (no ../shared/DESIGN.md).
 * Web links (http:, https:, mailto:) are left alone.
 */

const root = packageRoot();
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Markdown without its code: fenced blocks and inline code spans. */
const prose = (markdown: string): string => markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');

/** The targets of a Markdown file's inline links `[text](target)` and reference definitions `[x]: target`, outside code. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const defined = [...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  return [...inline, ...defined];
}

/** The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped, spaces as hyphens, repeats numbered). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/**
 * The links of `markdown` (the text of the file at `file`) that do not resolve inside the
 * repository, and the paths it names in code spans above the repository (`../shared/DESIGN.md`
 * was one: not a link, yet a pointer a standalone clone cannot follow).
 */
function brokenLinks(file: string, markdown: string): string[] {
  const broken: string[] = [];
  for (const m of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/`(\.\.\/[^`\s]*)`/g)) {
    if (relative(root, resolve(dirname(file), m[1]!)).startsWith('..')) broken.push(`${m[1]!} (outside the repository)`);
  }
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [path = '', anchor] = target.split('#');
    if (path === '') {
      if (!anchors(markdown).has(decodeURIComponent(anchor ?? ''))) broken.push(`${target} (no such heading)`);
      continue;
    }
    const to = resolve(dirname(file), decodeURIComponent(path));
    if (relative(root, to).startsWith('..')) broken.push(`${target} (outside the repository)`);
    else if (!existsSync(to)) broken.push(`${target} (no such file)`);
    else if (anchor !== undefined && to.endsWith('.md') && statSync(to).isFile() && !anchors(readFileSync(to, 'utf8')).has(decodeURIComponent(anchor))) broken.push(`${target} (no such heading)`);
  }
  return broken;
}

describe('links in the README and docs', () => {
  it('finds the links, the headings and what is broken', () => {
    expect(linkTargets('see [a](docs/a.md#x), [b](<b c.md>), `[no](x.md)`, [w](https://x.org)\n\n[r]: ./r.md\n')).toEqual(['docs/a.md#x', 'https://x.org', './r.md']);
    expect([...anchors('# Kairos\n## Arbitration: how the next-best offer is chosen\n```\n# not a heading\n```\n## `KAIROS_X` and more\n## Kairos\n')]).toEqual([
      'kairos',
      'arbitration-how-the-next-best-offer-is-chosen',
      'kairos_x-and-more',
      'kairos-1',
    ]);
    const doc = join(root, 'docs', 'any.md');
    expect(brokenLinks(doc, '[a](../../shared/DESIGN.md) [b](nope.md) [c](catalog.md#no-such-heading) [d](catalog.md) [e](../README.md#kairos) [f](#here) [g](#gone)\n## Here\nSee `../../shared/PROTOCOL.md` and `../README.md`.\n')).toEqual([
      '../../shared/PROTOCOL.md (outside the repository)',
      '../../shared/DESIGN.md (outside the repository)',
      'nope.md (no such file)',
      'catalog.md#no-such-heading (no such heading)',
      '#gone (no such heading)',
    ]);
    expect(docs).toContain('docs/architecture.md');
  });

  it.each(docs)('%s links only to files and headings in the repository', (doc) => {
    const file = join(root, doc);
    expect(brokenLinks(file, readFileSync(file, 'utf8'))).toEqual([]);
  });
});
