/**
 * Lists the finite-difference cases of the autodiff tests without running them. Preloaded with `node -r` ahead of
 * those test files (fdCoverage.test.ts does so in a child process), it makes gradCheck print each case's op and
 * opset on stderr instead of checking it, and onnxruntime refuse to open any session, so every other test (exact
 * values, forward semantics) ends at once: the child's test results mean nothing, only the printed cases.
 */
import * as ort from 'onnxruntime-node';
import * as gradcheck from '../../../support/gradcheck';

export const CASE_MARK = 'fd-case';

const record = async (c: gradcheck.GradCase) => {
  process.stderr.write(`${CASE_MARK} ${c.op} ${c.opset}\n`);
  return { dtype: c.dtype ?? 'float64', maxAbsErr: 0, maxRelErr: 0, checked: 0 };
};

if (process.env.LAYERLENS_LIST_FD_CASES === '1') {
  // The test files call these through the module objects, so replacing the exports reaches every call.
  Object.assign(gradcheck, {
    gradCheck: async (c: gradcheck.GradCase) => void (await record(c)),
    gradCheckDetailed: record,
  });
  ort.InferenceSession.create = () => Promise.reject(new Error('listing finite-difference cases only'));
}
