import { describe, expect, it } from 'vitest';
import { formatGoTime } from '../../../src/notify/go-template/go-time.js';
import { GoTemplateError, isGoTemplate, parseGoTemplate } from '../../../src/notify/go-template/parse.js';
import { compileGoTemplate } from '../../../src/notify/go-template/render-go.js';
import { renderReport } from '../../../src/notify/render.js';
import { containerReport, cycleReport, NEW_DIGEST, OLD_DIGEST } from '../../support/fake-notifier.js';

const digests = { localDigests: [OLD_DIGEST], remoteDigest: NEW_DIGEST };
const report = cycleReport([
  containerReport('web', 'updated', { ...digests, id: 'b'.repeat(64), image: 'nginx' }),
  containerReport('db', 'failed', {
    id: 'a'.repeat(64),
    image: 'postgres:16',
    localDigests: [OLD_DIGEST],
    reason: 'registry said 500',
  }),
  containerReport('cache', 'fresh', {
    id: 'c'.repeat(64),
    image: 'redis:7',
    localDigests: [OLD_DIGEST],
    remoteDigest: OLD_DIGEST,
  }),
]);

function run(template: string, withReport: boolean): string {
  const compiled = compileGoTemplate(template, { report: withReport });
  if (!compiled.ok) throw new Error(compiled.problem);
  return compiled.template.render(report, {
    report: withReport,
    title: '[nas] refit on nas: 1 updated, 1 failed',
    host: 'nas',
  });
}

// Watchtower's documented report template, as users copy it into WATCHTOWER_NOTIFICATION_TEMPLATE.
const REPORT_TEMPLATE = `
{{- if .Report -}}
  {{- with .Report -}}
    {{- if ( or .Updated .Failed ) -}}
{{len .Scanned}} Scanned, {{len .Updated}} Updated, {{len .Failed}} Failed
      {{- range .Updated}}
- {{.Name}} ({{.ImageName}}): {{.CurrentImageID.ShortID}} updated to {{.LatestImageID.ShortID}}
      {{- end -}}
      {{- range .Fresh}}
- {{.Name}} ({{.ImageName}}): {{.State}}
      {{- end -}}
      {{- range .Failed}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
      {{- end -}}
    {{- end -}}
  {{- end -}}
{{- else -}}
  {{range .Entries -}}{{.Message}}{{"\\n"}}{{- end -}}
{{- end -}}`;

describe('Watchtower notification templates', () => {
  it("runs Watchtower's report template over refit's report", () => {
    expect(run(REPORT_TEMPLATE, true)).toBe(
      [
        '3 Scanned, 1 Updated, 1 Failed',
        `- /web (nginx:latest): ${'a'.repeat(12)} updated to ${'b'.repeat(12)}`,
        '- /cache (redis:7): Fresh',
        '- /db (postgres:16): Failed: registry said 500',
      ].join('\n'),
    );
  });

  it('gives a template without report data one entry per container with news', () => {
    // In the local time zone, as Watchtower's entries were.
    const finished = formatGoTime(new Date(report.finishedAt), '2006-01-02 15:04:05');
    const legacy =
      '{{range .}}{{.Time.Format "2006-01-02 15:04:05"}} ({{.Level}}): {{.Message}}{{println}}{{end}}';
    expect(run(legacy, false)).toBe(
      [
        `${finished} (info): Updated /web (nginx:latest): ${'a'.repeat(12)} updated to ${'b'.repeat(12)}`,
        `${finished} (error): Could not update /db (postgres:16): registry said 500`,
        '',
      ].join('\n'),
    );
  });

  it('supports variables, else if, maps through index, printf and the Watchtower functions', () => {
    const template = [
      '{{- range $i, $e := . -}}',
      '{{- if $i}}; {{end -}}',
      '{{- $msg := $e.Message -}}',
      '{{- if eq (index $e.Data "container") "/db"}}DB {{index $e.Data "error" | ToUpper}}',
      '{{- else if $e.Data}}{{printf "%-5s|" (index $e.Data "container")}}{{range $k, $v := $e.Data}}{{$k}} {{end}}',
      '{{- else}}none{{end -}}',
      '{{- end -}}',
    ].join('');
    expect(run(template, false)).toBe('/web |container image new_id old_id ; DB REGISTRY SAID 500');
    expect(
      run(
        '{{.Title}} on {{.Host}}: {{len .Report.All}} {{with .Report}}{{range .Skipped}}x{{else}}none{{end}}{{end}}',
        true,
      ),
    ).toBe('[nas] refit on nas: 1 updated, 1 failed on nas: 3 none');
  });

  it("prints the fork's porcelain JSON and Go's forms of values", () => {
    expect(JSON.parse(run('{{ .Report | ToPorcelainJSON }}', true))).toMatchObject({
      containers: [{ name: '/db' }, { name: '/web' }, { name: '/cache' }],
    });
    expect(
      run(
        '{{print 1 2 "a" "b"}} {{println "x" 1}}{{index .Entries 0 | printf "%v" | len | gt 1}} {{.Entries | len}}',
        true,
      ),
    ).toBe('1 2ab x 1\nfalse 2');
  });

  it('refuses at start-up, saying why, a template that does not parse or cannot run', () => {
    for (const [template, problem] of [
      ['{{if .Report}}x', 'without {{end}}'],
      ['{{end}}', 'without'],
      ['{{.Nope}}', "can't evaluate field Nope"],
      ['{{nope .}}', 'function "nope" not defined'],
      ['{{template "x"}}', 'not supported'],
      ['{{"open}}', 'unterminated string'],
    ] as const) {
      const compiled = compileGoTemplate(template, { report: true });
      expect(compiled.ok ? 'compiled' : compiled.problem).toContain(problem);
    }
  });

  it('reaches only exported fields, never JavaScript members', () => {
    for (const template of [
      '{{.constructor}}',
      '{{.Report.constructor}}',
      '{{.Entries.length}}',
      '{{.__proto__}}',
    ]) {
      expect(compileGoTemplate(template, { report: true }).ok).toBe(false);
    }
  });

  it('tells Go templates from Mustache ones', () => {
    for (const go of [
      '{{range .}}{{.Message}}{{end}}',
      '{{- if .Report -}}x{{- end -}}',
      '{{ .Title }}',
      '{{/* c */}}',
      '{{len .Entries}}',
    ]) {
      expect(isGoTemplate(go)).toBe(true);
    }
    for (const mustache of [
      '{{#updated}}{{name}}{{/updated}}',
      '{{title}}: {{summary}}',
      '{{^failed}}fine{{/failed}}',
      'plain',
    ]) {
      expect(isGoTemplate(mustache)).toBe(false);
    }
  });

  it('parses comments and trim markers away', () => {
    expect(parseGoTemplate('a  {{- /* note */ -}}  b')).toEqual([
      { kind: 'text', text: 'a' },
      { kind: 'text', text: 'b' },
    ]);
    expect(() => parseGoTemplate('{{else}}')).toThrow(GoTemplateError);
  });

  it('formats times with Go layouts', () => {
    const date = new Date(2025, 0, 2, 15, 4, 5, 120);
    expect(formatGoTime(date, '2006-01-02 15:04:05.000')).toBe('2025-01-02 15:04:05.120');
    expect(formatGoTime(date, 'Mon Jan _2 3:04PM')).toBe('Thu Jan  2 3:04PM');
    expect(formatGoTime(date, 'January 2, 06 .999')).toBe('January 2, 25 .12');
  });

  it('is what a report message carries when the template is a Go one', () => {
    const message = renderReport(report, {
      hostname: 'nas',
      template: '{{len .Report.Updated}} updated on {{.Host}}',
      templateReport: true,
      titleTag: 'nas',
    });
    expect(message.text).toBe('1 updated on nas');
    expect(message.title).toBe('[nas] refit on nas: 1 updated, 1 failed');
  });
});
