// A missing DNS tool must fail the suite with the fix, never skip it.
import { describe, expect, it } from 'vitest';
import { requireTool, type ToolName } from '../support/dns/tools.js';

describe('requireTool', () => {
  it('names the apt package when a tool is missing', () => {
    expect(() => requireTool('no-such-tool' as ToolName)).toThrow(/apt-get install/);
  });

  it.each(['rbldnsd', 'named', 'dig', 'named-checkzone', 'java'] as const)('finds %s (fails with the apt command if not installed)', (name) => {
    expect(requireTool(name)).toMatch(new RegExp(`/${name}$`));
  });
});
