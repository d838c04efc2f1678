import type { z } from 'zod';
import type { EvaluationResponse, PredictionResponse } from '../../../schema/contracts/predictions';
import { expectArray, expectObject, unwrap } from './guards';
import type { HttpClient } from './http-client';

export type Horizon = '1h' | '1d';
export type Prediction = PredictionResponse;
export type EvaluationReport = z.infer<typeof EvaluationResponse>;

/** `GET /api/v1/predictions/:symbol` and its `/evaluation`. */
export class PredictionsApi {
  constructor(private readonly http: HttpClient) {}

  async prediction(symbol: string, horizon: Horizon): Promise<Prediction> {
    const body = expectObject(
      unwrap(await this.http.json(`/api/v1/predictions/${encodeURIComponent(symbol)}?horizon=${horizon}`)),
      'prediction',
    );
    expectArray(body.votes, 'prediction votes');
    expectObject(body.expectedReturn, 'prediction');
    return body as unknown as Prediction;
  }

  async evaluation(symbol: string, horizon: Horizon): Promise<EvaluationReport> {
    const body = expectObject(
      unwrap(
        await this.http.json(
          `/api/v1/predictions/${encodeURIComponent(symbol)}/evaluation?horizon=${horizon}`,
        ),
      ),
      'evaluation',
    );
    const ev = expectObject(body.evaluation, 'evaluation');
    expectObject(ev.ensemble, 'evaluation');
    expectObject(ev.agents, 'evaluation');
    return body as unknown as EvaluationReport;
  }
}
