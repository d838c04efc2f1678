import type { Prediction } from '../api/predictions-api';

/** How the panel presents what answered a prediction. */
export interface BasisView {
  /** The agents' blend weights are shown only when the blend answered. */
  showWeights: boolean;
  /** The headline of the "Call" row's source. */
  label: string;
  /** Said next to the votes when the weights do not apply. */
  note: string | null;
}

/**
 * When the calibrated ensemble answers the base rate (no agent beat it out of sample), the agents'
 * weights play no part in P(up): showing them would suggest a blend that is not there.
 */
export function basisView(p: Pick<Prediction, 'basis'>): BasisView {
  if (p.basis === 'base_rate') {
    return {
      showWeights: false,
      label: 'Base rate',
      note: 'No agent beat the base rate out of sample, so P(up) is the historical up-rate; the votes below are shown for information and carry no weight.',
    };
  }
  return { showWeights: true, label: 'Ensemble', note: null };
}
