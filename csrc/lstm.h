/* The per-step loops of the REINFORCE policy's LSTM (src/confuciux/search/lstm.py), float32.
 * Pure functions over caller-owned arrays (row-major, contiguous); nothing is allocated here.
 * Return 0, or -1 when a size is negative or a given action is out of range (nothing written
 * past the arrays in that case). */

int cx_lstm_forward(int n, int embed, int hidden, int n_pe, int n_buf, const float *enc, const float *prev,
                    const float *w, const float *head_t, const float *noise, long long *pe, long long *buf,
                    float *eh, float *gates, float *cs, float *logits);

int cx_lstm_backward(int n, int hidden, const float *dh_heads, const float *dc_from_dh, const float *q,
                     const float *q_o, const float *gates, const float *wh, float *da, float *dh_next,
                     float *dc_next, float *dh, float *dc);
