/**
 * signup-onboarding: create an account, e-mail a confirmation code, wait for the user to confirm
 * it, charge the first month of a paid plan, activate the account.
 *
 * The charge is the step to read: it hands the provider `ctx.idempotencyKey`, the same on every
 * try of the step, so a try that timed out after the provider charged the card is retried
 * without charging it twice (docs/steps.md). Its own retry policy and timeout sit beside it.
 * It imports the SDK by the package's name, as a project that installs Capstan does.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { definePipeline, NonRetryableError } from 'capstan/sdk';
import { mailer } from './fake-mailer.ts';
import { CardDeclinedError, payments } from './fake-payments.ts';

const PRICES_CENTS = { free: 0, pro: 1200 } as const;

export const Signup = z.object({
  email: z.email(),
  name: z.string().min(1),
  plan: z.enum(['free', 'pro']),
  /** A card token from the payment form; `tok_slow_network` makes the provider's first answer get lost. */
  cardToken: z.string().min(1).optional(),
});

const Account = Signup.extend({ userId: z.uuid(), createdAt: z.string() });
const ConfirmationSent = Account.extend({ messageId: z.string(), code: z.string() });
export const Confirmation = z.object({
  code: z.string().regex(/^\d{6}$/, 'the 6-digit code from the e-mail'),
});
const Payment = z.object({
  userId: z.uuid(),
  chargeId: z.string().nullable(),
  amountCents: z.number().int(),
  /** Which try of the charge step succeeded (0 = the first). */
  attempt: z.number().int(),
  /** Charges the provider holds for this step's key: 1 however many tries it took. */
  providerCharges: z.number().int(),
});
export const Activated = z.object({
  userId: z.uuid(),
  email: z.email(),
  plan: z.enum(['free', 'pro']),
  status: z.literal('ACTIVE'),
  payment: Payment,
  activatedAt: z.string(),
});

export default definePipeline({
  id: 'signup-onboarding',
  input: Signup,
  description: 'A new user confirms their e-mail, pays for their plan and is activated.',
})
  .step('create-account', {
    output: Account,
    run: (signup) => {
      if (signup.plan !== 'free' && !signup.cardToken)
        throw new NonRetryableError(`plan '${signup.plan}' needs a cardToken`, { code: 'card_required' });
      return { ...signup, userId: randomUUID(), createdAt: new Date().toISOString() };
    },
  })
  .step('send-confirmation-email', {
    output: ConfirmationSent,
    // An e-mail API that is down for a minute is worth waiting for; the default policy would
    // give up after 3 retries.
    retry: { maxRetries: 10, delay: 'PT5S', maxDelay: 'PT1M' },
    run: (account, ctx) => {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const { messageId } = mailer.send(
        account.email,
        'Confirm your e-mail',
        `Hello ${account.name}, your confirmation code is ${code}.`,
        { idempotencyKey: ctx.idempotencyKey },
      );
      return { ...account, messageId, code };
    },
  })
  .await('await-email-confirmation', {
    response: Confirmation,
    deadline: 'P1D',
    group: 'signup',
    // What the interaction shows. A real app would complete it from the link in the e-mail;
    // here the code is in the request so a person at a terminal can act as the user.
    request: (sent) => ({ userId: sent.userId, email: sent.email, code: sent.code }),
  })
  .step('charge-first-month', {
    output: Payment,
    // Each try may run 2 s: past it the try fails with `step_timeout` and `ctx.signal` aborts
    // the provider call. Then up to 4 retries, 1 s, 2 s, 4 s, 4 s apart.
    timeout: 'PT2S',
    retry: { maxRetries: 4, delay: 'PT1S', multiplier: 2, maxDelay: 'PT4S' },
    run: async (confirmation, ctx) => {
      const sent = ConfirmationSent.parse(await ctx.outputOf('send-confirmation-email'));
      if (confirmation.code !== sent.code)
        throw new NonRetryableError('the confirmation code does not match', {
          code: 'wrong_confirmation_code',
        });
      const amountCents = PRICES_CENTS[sent.plan];
      if (amountCents === 0)
        return { userId: sent.userId, chargeId: null, amountCents, attempt: ctx.attempt, providerCharges: 0 };
      // The key to hand a payment provider: the same on every try of this step, across
      // retries and re-drives. Not `ctx.attemptKey`, which would charge again on a retry.
      const charge = await payments
        .charge(
          { customerId: sent.userId, amountCents, currency: 'EUR', cardToken: sent.cardToken ?? '' },
          { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal },
        )
        .catch((error: unknown) => {
          // A declined card stays declined: to the DLQ at once rather than after 4 retries.
          if (error instanceof CardDeclinedError)
            throw new NonRetryableError(error.message, { code: error.code });
          throw error;
        });
      return {
        userId: sent.userId,
        chargeId: charge.chargeId,
        amountCents,
        attempt: ctx.attempt,
        providerCharges: payments.chargesFor(ctx.idempotencyKey),
      };
    },
  })
  .step('activate-account', {
    output: Activated,
    run: async (payment, ctx) => {
      const account = Account.parse(await ctx.outputOf('create-account'));
      return {
        userId: account.userId,
        email: account.email,
        plan: account.plan,
        status: 'ACTIVE' as const,
        payment,
        activatedAt: new Date().toISOString(),
      };
    },
  });
