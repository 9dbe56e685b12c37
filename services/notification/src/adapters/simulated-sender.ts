/**
 * The simulated mail server: no mail leaves the machine. A send is a log line naming the recipient and the subject;
 * a configurable share of attempts is refused (transiently), decided from the e-mail's id and the attempt number,
 * so a given attempt always fares the same and retries are exercised reproducibly.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@glassbox/kit';

export interface OutgoingEmail {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  attempt: number;
}

export interface Sender {
  /** Resolves when the mail server took the e-mail; rejects when it refused it. */
  send(email: OutgoingEmail): Promise<void>;
}

export function createSimulatedSender(options: { logger: Logger; failureRate: number }): Sender {
  const { logger, failureRate } = options;
  return {
    async send(email) {
      if (failureRate > 0) {
        const digest = createHash('sha256').update(`${email.id}/${email.attempt}`).digest();
        if (digest.readUInt32BE(0) / 0x1_0000_0000 < failureRate) {
          throw new Error('421 simulated mail server busy, try again later');
        }
      }
      logger.info(
        { notification_id: email.id, to: email.recipient, subject: email.subject, attempt: email.attempt },
        'email sent (simulated)',
      );
    },
  };
}
