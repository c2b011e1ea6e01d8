/**
 * Turns the Markdown body of a notification into the HTML part of an e-mail. Only what refit's
 * templates produce is understood (bold, inline code, bullet lists, paragraphs); everything is
 * escaped first, so text from container names or error messages can never become markup.
 */

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Inline emphasis on an already escaped line; the markers cannot be produced by escaping. */
function inline(escaped: string): string {
  return escaped.replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

const BULLET = /^\s*[-*+]\s+(.*)$/;

export function markdownToHtml(markdown: string): string {
  const blocks: string[] = [];
  let paragraph: string[] = [];
  let list: string[] = [];

  const flushParagraph = (): void => {
    if (paragraph.length > 0) blocks.push(`<p>${paragraph.join('<br>\n')}</p>`);
    paragraph = [];
  };
  const flushList = (): void => {
    if (list.length > 0) blocks.push(`<ul>\n${list.map((item) => `<li>${item}</li>`).join('\n')}\n</ul>`);
    list = [];
  };

  for (const line of markdown.replaceAll('\r\n', '\n').split('\n')) {
    const bullet = BULLET.exec(line);
    if (bullet !== null) {
      flushParagraph();
      list.push(inline(escapeHtml(bullet[1] ?? '')));
    } else if (line.trim() === '') {
      flushParagraph();
      flushList();
    } else {
      flushList();
      paragraph.push(inline(escapeHtml(line.trimEnd())));
    }
  }
  flushParagraph();
  flushList();
  return `<!doctype html>\n<html><body>\n${blocks.join('\n')}\n</body></html>\n`;
}
