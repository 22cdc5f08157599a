import { createRoot } from 'react-dom/client';
import { App } from './app';
import { createApi } from './lib/api';
import { dropTokenFromAddress } from './lib/ws-client';
import { connectStore } from './store/actions';
import './styles.css';

// Start-up: one client, the store wired to it once, then the UI.
const api = createApi();
dropTokenFromAddress(window);
connectStore(api);
(window as Window & { __hiveReady?: boolean }).__hiveReady = true;
createRoot(document.getElementById('root')!).render(<App api={api} pickDirectory={api.pickDirectory} />);
