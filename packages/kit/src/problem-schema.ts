/** The problem document's schema is part of the public contract: it lives in @glassbox/contracts. */
export { Problem as ProblemSchema, problemResponses } from '@glassbox/contracts';
