import { useEffect, useRef, useState } from 'react';
import '@xterm/xterm/css/xterm.css';
import { errorMessage } from '../../lib/error-message';
import { currentApi } from '../../store/actions';

interface TermLike {
  write(data: string): void;
  dispose(): void;
}

const SCROLLBACK_BYTES = 256 * 1024;

/**
 * The agent's output in xterm.js: the log tail first (scrollback), then live chunks from 'agent:output'.
 * Live chunks that arrive while the tail loads are held and written after it, less any part the tail
 * already holds (each chunk carries its end offset in the log), so nothing is lost or shown twice. Where
 * xterm cannot run (no canvas/layout, e.g. jsdom) the same text goes to a plain <pre>.
 */
export function OutputTerminal({ name }: { name: string }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const [fallback, setFallback] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [bytes, setBytes] = useState(0);

  useEffect(() => {
    let disposed = false;
    let term: TermLike | null = null;
    let fit: { fit(): void } | null = null;
    let ready = false;
    const held: { data: string; end: number }[] = [];
    let plain = '';
    const writePlain = (s: string): void => {
      plain = (plain + stripAnsi(s)).slice(-SCROLLBACK_BYTES);
      setFallback(plain);
    };
    const write = (s: string): void => {
      setBytes((b) => b + s.length);
      if (term) term.write(s);
      else writePlain(s);
    };
    const off = currentApi().on('agent:output', (p) => {
      if (p.name !== name) return;
      if (ready) write(p.data);
      else held.push({ data: p.data, end: p.end });
    });

    const onResize = (): void => {
      try {
        fit?.fit();
      } catch {}
    };

    void (async () => {
      try {
        const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
        if (disposed || !hostRef.current) return;
        const t = new Terminal({
          convertEol: true,
          disableStdin: true,
          scrollback: 10_000,
          fontSize: 12,
          fontFamily: 'ui-monospace, "JetBrains Mono", "SFMono-Regular", Menlo, Consolas, monospace',
          theme: { background: '#0b0e14', foreground: '#c9d1d9', cursor: '#0b0e14', selectionBackground: '#264f78' },
        });
        const f = new FitAddon();
        t.loadAddon(f);
        t.open(hostRef.current);
        term = t;
        fit = f;
        onResize();
        window.addEventListener('resize', onResize);
      } catch {
        term = null;
      }
      let tailEnd = 0;
      try {
        const { text, bytes: logBytes } = await currentApi().invoke('agents:output', { name, maxBytes: SCROLLBACK_BYTES });
        if (disposed) return;
        if (text) write(text);
        tailEnd = logBytes;
      } catch (err) {
        if (!disposed) setError(errorMessage(err));
      }
      ready = true;
      for (const chunk of held.splice(0)) {
        const rest = afterOffset(chunk.data, chunk.end, tailEnd);
        if (rest) write(rest);
      }
    })();

    return () => {
      disposed = true;
      off();
      window.removeEventListener('resize', onResize);
      term?.dispose();
    };
  }, [name]);

  return (
    <div className="terminal-panel">
      {error && (
        <div className="alert alert-error" role="alert">
          Could not load the output log: {error}
        </div>
      )}
      <div ref={hostRef} className="terminal-host" data-testid="terminal" data-bytes={bytes} aria-label={`Output of ${name}`} role="log">
        {fallback !== null && <pre className="terminal-fallback">{fallback}</pre>}
      </div>
    </div>
  );
}

/**
 * The part of a live chunk past `offset` in the log: a chunk that ends at `end` and was read while the tail
 * up to `offset` was being fetched may be wholly or partly in that tail already.
 */
export function afterOffset(data: string, end: number, offset: number): string {
  if (end <= offset) return '';
  const bytes = new TextEncoder().encode(data);
  const start = end - bytes.length;
  if (start >= offset) return data;
  return new TextDecoder().decode(bytes.subarray(offset - start));
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r/g, '');
}
