import { describe, expect, it } from 'vitest';
import { tokenizeSql } from './sql-lexer.js';

function kinds(expression: string): string[] {
  return tokenizeSql(expression).map((token) => `${token.kind}:${token.value}@${token.position}`);
}

describe('tokenizeSql', () => {
  it('reads every kind of token with its position', () => {
    expect(kinds("a.b_1 <> 'it''s' AND x>=-1.5e3 or $y IN (12L, .5) is not NULL")).toEqual([
      'identifier:a.b_1@0',
      'operator:<>@6',
      "string:it's@9",
      'keyword:AND@17',
      'identifier:x@21',
      'operator:>=@22',
      'operator:-@24',
      'decimal:1.5e3@25',
      'keyword:OR@31',
      'identifier:$y@34',
      'keyword:IN@37',
      '(:(@40',
      'integer:12@41',
      ',:,@44',
      'decimal:.5@46',
      '):)@48',
      'keyword:IS@50',
      'keyword:NOT@53',
      'keyword:NULL@57',
      'end:@61',
    ]);
  });

  it('reads <, <=, >, =, and keywords in any case', () => {
    expect(kinds('a<b<=c>d=e').filter((token) => token.startsWith('operator'))).toEqual([
      'operator:<@1',
      'operator:<=@3',
      'operator:>@6',
      'operator:=@8',
    ]);
    expect(kinds('Between tRUE False nOt').map((token) => token.split('@')[0])).toEqual([
      'keyword:BETWEEN',
      'keyword:TRUE',
      'keyword:FALSE',
      'keyword:NOT',
      'end:',
    ]);
  });

  it('skips comments and whitespace', () => {
    expect(kinds('a -- note\n= /* x * y */ 1 --')).toEqual([
      'identifier:a@0',
      'operator:=@10',
      'integer:1@24',
      'end:@28',
    ]);
  });

  it('keeps a string with comment markers and newlines as it is', () => {
    expect(tokenizeSql("'-- /* \n'")[0]?.value).toBe('-- /* \n');
  });
});
