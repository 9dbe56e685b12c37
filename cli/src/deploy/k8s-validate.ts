/**
 * Schema validation of rendered Kubernetes objects with the kubernetes-models packages: the core API, the
 * Prometheus operator's objects and Argo Rollouts'. Each object is checked against the model of its
 * apiVersion and kind; an object no package models is an error, not a pass.
 */

interface Validating {
  validate(): void;
}
type ModelClass = new (data: object) => Validating;

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

/** The module that models `apiVersion`/`kind`: `kubernetes-models/apps/v1/Deployment`, … */
export function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group === 'argoproj.io') return `@kubernetes-models/argo-rollouts/${group}/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

/**
 * What the API server reads: kustomize wraps a long Secret value's base64 over several lines, which the
 * server's decoder (Go's base64, skipping newlines) accepts and the JSON schema's `byte` format does not.
 */
function asTheServerReadsIt(object: KubeObject): KubeObject {
  if (object.kind !== 'Secret' || typeof object.data !== 'object' || object.data === null) return object;
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]),
  );
  return { ...object, data };
}

/** Validates every object; returns one line per failure (`Kind/name: reason`), empty when all pass. */
export async function validateObjects(objects: readonly KubeObject[]): Promise<string[]> {
  const failures: string[] = [];
  for (const object of objects) {
    const where = `${object.kind}/${object.metadata?.name}`;
    let Model: ModelClass;
    try {
      const module = (await import(modelModule(object.apiVersion, object.kind))) as Record<
        string,
        ModelClass
      >;
      const found = module[object.kind];
      if (!found) throw new Error('no model class');
      Model = found;
    } catch (err) {
      failures.push(
        `${where}: no schema for ${object.apiVersion} ${object.kind} (${(err as Error).message})`,
      );
      continue;
    }
    try {
      new Model(asTheServerReadsIt(object)).validate();
    } catch (err) {
      failures.push(`${where}: ${(err as Error).message}`);
    }
  }
  return failures;
}
