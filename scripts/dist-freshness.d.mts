/** Whether dist/ is older than the sources it is built from (src/, console/, package.json). */
export function distIsStale(root: string): boolean;
