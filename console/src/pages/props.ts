import type { CapstanClient } from '../../../src/client/index.ts';
import type { Session } from '../session.ts';

export interface PageProps {
  readonly client: CapstanClient;
  readonly session: Session;
}
