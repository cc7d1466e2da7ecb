import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from './generated';

/* The referral modal (Query.myReferrals): the signed-in account's own programme. Referees
   are counted, never named: the API has no field that could show who they are. */

export const MyReferralsQuery = graphql(`
  query MyReferrals {
    myReferrals {
      code
      signUps
      activeReferees
      refereeVolume
      refereeTrades
      rewardsPaid
      rewardsPending
      feeSharePercent
      rewardPeriodDays
    }
  }
`);

export type ReferralStats = ResultOf<typeof MyReferralsQuery>['myReferrals'];
