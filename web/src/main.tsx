import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { App } from './App';
import { client } from './graphql/client';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('GoDark: #root element missing');

createRoot(container).render(
  <StrictMode>
    <Provider value={client}>
      <App />
    </Provider>
  </StrictMode>,
);
