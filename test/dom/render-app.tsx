import { render } from '@testing-library/react';
import { App } from '../../renderer/src/app';
import { connectStore } from '../../renderer/src/store/actions';
import { resetHiveStore } from '../../renderer/src/store/hive-store';
import { FakeHiveApi } from './fake-hive-api';

/** A fresh store wired to the fake API, and the whole app rendered on it. */
export function renderApp(api: FakeHiveApi) {
  resetHiveStore();
  window.location.hash = '';
  const disconnect = connectStore(api);
  const view = render(<App api={api} />);
  return { ...view, api, disconnect };
}
