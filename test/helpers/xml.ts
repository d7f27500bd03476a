/**
 * A strict little XML well-formedness check for the SVG and HTML fragments the report
 * makes: balanced tags, quoted attributes without raw `<` or `&`, text without raw `<`
 * or stray `&`. Returns the problem, or undefined when the text is well-formed.
 * (`void` lists HTML elements that have no end tag.)
 */
export function xmlProblem(text: string, o: { void?: readonly string[] } = {}): string | undefined {
  const voids = new Set(o.void ?? []);
  const stack: string[] = [];
  const entity = /^&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);/;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '&') {
      if (!entity.test(text.slice(i, i + 12))) return `stray & at ${i}: ${text.slice(i, i + 20)}`;
      i += 1;
      continue;
    }
    if (c !== '<') {
      i += 1;
      continue;
    }
    if (text.startsWith('<!DOCTYPE', i) || text.startsWith('<!doctype', i)) {
      const end = text.indexOf('>', i);
      if (end < 0) return 'unterminated doctype';
      i = end + 1;
      continue;
    }
    const close = /^<\/([a-zA-Z][\w:-]*)\s*>/.exec(text.slice(i, i + 200));
    if (close) {
      const name = close[1] as string;
      const open = stack.pop();
      if (open !== name) return `</${name}> closes <${open ?? 'nothing'}> at ${i}`;
      i += close[0].length;
      continue;
    }
    const tag = /^<([a-zA-Z][\w:-]*)((?:\s+[a-zA-Z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>/.exec(text.slice(i));
    if (!tag) return `malformed tag at ${i}: ${text.slice(i, i + 60)}`;
    const [whole, name, attrs, selfClosing] = tag as unknown as [string, string, string, string];
    for (const m of attrs.matchAll(/="([^"]*)"/g)) {
      const value = m[1] as string;
      for (let j = value.indexOf('&'); j >= 0; j = value.indexOf('&', j + 1)) {
        if (!entity.test(value.slice(j, j + 12))) return `stray & in an attribute of <${name}> at ${i}`;
      }
    }
    const seen = new Set<string>();
    for (const m of attrs.matchAll(/\s([a-zA-Z_:][\w:.-]*)=/g)) {
      if (seen.has(m[1] as string)) return `duplicate attribute ${m[1]} on <${name}> at ${i}`;
      seen.add(m[1] as string);
    }
    if (!selfClosing && !voids.has(name.toLowerCase())) {
      if (name === 'style' || name === 'script') {
        const end = text.indexOf(`</${name}>`, i);
        if (end < 0) return `unterminated <${name}>`;
        i = end + name.length + 3;
        continue;
      }
      stack.push(name);
    }
    i += whole.length;
  }
  if (stack.length > 0) return `unclosed <${stack.join('> <')}>`;
  return undefined;
}

export const HTML_VOID_ELEMENTS = ['meta', 'br', 'hr', 'img', 'input', 'link'];
