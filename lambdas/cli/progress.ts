// Progress of a long command: a redrawn bar on a terminal, plain lines otherwise (logs, CI, pipes).
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  private lastPlain = -1;

  constructor(
    private readonly out: ProgressStream,
    private readonly total: number,
    private readonly label: string,
  ) {}

  update(done: number): void {
    const pct = this.total === 0 ? 100 : Math.floor((done / this.total) * 100);
    if (this.out.isTTY) {
      const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 40));
      const filled = Math.round((pct / 100) * width);
      this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${this.total}`);
    } else if (done !== this.lastPlain) {
      this.lastPlain = done;
      this.out.write(`${this.label}: ${done}/${this.total} (${pct}%)\n`);
    }
  }

  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
