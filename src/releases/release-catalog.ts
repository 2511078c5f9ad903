import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { ReleaseRecord } from '../store/records.ts';
import type { Store } from '../store/store-port.ts';
import { systemClock } from '../runtime/clock.ts';
import { ActiveReleaseCache, type ActiveReleaseCacheOptions } from './active-release-cache.ts';
import type { PipelineContract } from './pipeline-contract.ts';

/** How long a node trusts its answer to "which release is active" when no signal arrives. */
export const DEFAULT_ACTIVE_RELEASE_TTL_MS = 5000;

export interface ContractValidators {
  readonly contract: PipelineContract;
  readonly input: ValidateFunction;
  /** Response validators of await steps, by step index. */
  readonly responses: ReadonlyMap<number, ValidateFunction>;
  /** Output validators of the other steps, by step index: what a remote worker's outputs are checked with. */
  readonly outputs: ReadonlyMap<number, ValidateFunction>;
}

export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
  /** The values the field accepts, when the schema lists them (an enum or a const). */
  readonly allowed?: readonly unknown[];
}

/**
 * Releases as the hot path needs them: the active release per pipeline and compiled contract
 * validators per contract version, cached so a submit does no registry lookup, no artifact
 * hashing and no schema compilation. Releases are immutable, so they are cached by version;
 * the active-release cache is invalidated by activation and expires after a short TTL (see
 * `ActiveReleaseCache`).
 */
export class ReleaseCatalog {
  readonly #store: Store;
  readonly #active: ActiveReleaseCache;
  readonly #validators = new Map<string, ContractValidators>();
  readonly #releases = new Map<string, ReleaseRecord>();
  readonly #ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });

  constructor(store: Store, options: Partial<ActiveReleaseCacheOptions> = {}) {
    this.#store = store;
    this.#active = new ActiveReleaseCache({
      clock: options.clock ?? systemClock,
      ttlMs: options.ttlMs ?? DEFAULT_ACTIVE_RELEASE_TTL_MS,
      maxMisses: options.maxMisses ?? 1000,
    });
  }

  active(tenantId: string, pipelineId: string): Promise<ReleaseRecord | undefined> {
    return this.#active.get(tenantId, pipelineId, () => this.#store.getActiveRelease(tenantId, pipelineId));
  }

  invalidate(tenantId: string, pipelineId: string): void {
    this.#active.invalidate(tenantId, pipelineId);
  }

  /** Forgets every active release (another node may have activated any of them). */
  invalidateAll(): void {
    this.#active.invalidateAll();
  }

  /** Pipelines remembered as having no active release (bounded). */
  get cachedMisses(): number {
    return this.#active.misses;
  }

  validators(contract: PipelineContract): ContractValidators {
    let cached = this.#validators.get(contract.contractVersion);
    if (!cached) {
      const responses = new Map<number, ValidateFunction>();
      const outputs = new Map<number, ValidateFunction>();
      for (const step of contract.steps) {
        if (step.kind === 'await' && step.responseSchema)
          responses.set(step.index, this.#ajv.compile(step.responseSchema));
        if ((step.kind === 'step' || step.kind === 'aggregate') && step.outputSchema)
          outputs.set(step.index, this.#ajv.compile(step.outputSchema));
        // An expand step's output is its list of items, each of the item schema.
        if (step.kind === 'expand' && step.itemSchema)
          outputs.set(step.index, this.#ajv.compile({ type: 'array', items: step.itemSchema }));
      }
      cached = { contract, input: this.#ajv.compile(contract.inputSchema), responses, outputs };
      this.#validators.set(contract.contractVersion, cached);
    }
    return cached;
  }

  /** A registered release by version; releases are immutable, so a hit is cached for good. */
  async release(
    tenantId: string,
    pipelineId: string,
    releaseVersion: string,
  ): Promise<ReleaseRecord | undefined> {
    const key = `${tenantId}\u0000${pipelineId}\u0000${releaseVersion}`;
    let release = this.#releases.get(key);
    if (!release) {
      release = await this.#store.getRelease(tenantId, pipelineId, releaseVersion);
      if (release) this.#releases.set(key, release);
    }
    return release;
  }

  async validatorsFor(
    tenantId: string,
    pipelineId: string,
    releaseVersion: string,
  ): Promise<ContractValidators | undefined> {
    const release = await this.release(tenantId, pipelineId, releaseVersion);
    return release && this.validators(release.contract);
  }
}

/** Field-level problems from a failed validation, for a 400's `details`. */
export function schemaIssues(validate: ValidateFunction): SchemaIssue[] {
  return (validate.errors ?? []).map((e) => {
    const params = e.params as { missingProperty?: unknown; allowedValues?: unknown; allowedValue?: unknown };
    // A missing property is named by its own path, not its parent's.
    const path =
      e.keyword === 'required' && typeof params.missingProperty === 'string'
        ? `${e.instancePath}/${params.missingProperty}`
        : e.instancePath || '/';
    const allowed = Array.isArray(params.allowedValues)
      ? params.allowedValues
      : e.keyword === 'const'
        ? [params.allowedValue]
        : undefined;
    return { path, message: e.message ?? 'invalid', ...(allowed ? { allowed } : {}) };
  });
}
