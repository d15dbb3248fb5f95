import { describe, expect, it } from 'vitest';
import { matchRoute, type Route } from './route-table.js';

const routes: Route<string>[] = [
  { pattern: '/admin/topics', methods: { GET: 'list', POST: 'create' } },
  { pattern: '/admin/topics/:name', methods: { GET: 'get', PATCH: 'patch', DELETE: 'delete' } },
  { pattern: '/admin/groups/:group/offsets/reset', methods: { POST: 'reset' } },
];

describe('matchRoute', () => {
  it('matches literal paths by method', () => {
    expect(matchRoute(routes, 'GET', '/admin/topics')).toEqual({ status: 'found', handler: 'list', params: {} });
    expect(matchRoute(routes, 'POST', '/admin/topics')).toEqual({ status: 'found', handler: 'create', params: {} });
  });

  it('captures and percent-decodes parameters', () => {
    expect(matchRoute(routes, 'DELETE', '/admin/topics/%25DLQ%25g')).toEqual({
      status: 'found',
      handler: 'delete',
      params: { name: '%DLQ%g' },
    });
    expect(matchRoute(routes, 'POST', '/admin/groups/g1/offsets/reset')).toEqual({
      status: 'found',
      handler: 'reset',
      params: { group: 'g1' },
    });
  });

  it('serves HEAD with the GET handler', () => {
    expect(matchRoute(routes, 'HEAD', '/admin/topics/t')).toMatchObject({ status: 'found', handler: 'get' });
  });

  it('says which methods a known path allows', () => {
    expect(matchRoute(routes, 'PUT', '/admin/topics')).toEqual({
      status: 'method-not-allowed',
      allowed: ['GET', 'POST', 'HEAD'],
    });
    expect(matchRoute(routes, 'GET', '/admin/groups/g/offsets/reset')).toEqual({
      status: 'method-not-allowed',
      allowed: ['POST'],
    });
  });

  it.each([
    '/',
    '/admin',
    '/admin/topics/',
    '/admin/topics//',
    '/admin/topics/a/b',
    '/admin/groups//offsets/reset',
    'admin/topics',
  ])('finds nothing at %s', (path) => {
    expect(matchRoute(routes, 'GET', path)).toEqual({ status: 'not-found' });
  });

  it('reports a parameter that is not valid percent-encoding', () => {
    expect(matchRoute(routes, 'GET', '/admin/topics/%E0%A4%A')).toEqual({
      status: 'bad-parameter',
      parameter: 'name',
      raw: '%E0%A4%A',
    });
  });
});
