import { useConvexConnectionState } from "convex/react";
import { useState } from "react";
import { isLocalMode, storeToken } from "./auth";
import { Charts } from "./pages/Charts";
import { Customer } from "./pages/Customer";
import { Feed } from "./pages/Feed";
import { Payment } from "./pages/Payment";
import { Queue } from "./pages/Queue";
import { useRoute } from "./route";

export function App() {
  const route = useRoute();
  return (
    <>
      <header>
        <strong>Fraud dashboard</strong>
        <nav>
          <a href="#/" className={route.page === "feed" ? "active" : ""}>
            Live feed
          </a>
          <a href="#/queue" className={route.page === "queue" ? "active" : ""}>
            Review queue
          </a>
          <a href="#/charts" className={route.page === "charts" ? "active" : ""}>
            Charts
          </a>
        </nav>
        <Connection />
      </header>
      {!isLocalMode && <TokenBar />}
      <main>
        {route.page === "feed" && <Feed />}
        {route.page === "payment" && <Payment id={route.id} />}
        {route.page === "customer" && <Customer id={route.id} />}
        {route.page === "queue" && <Queue />}
        {route.page === "charts" && <Charts />}
      </main>
    </>
  );
}

/** Whether the client's socket is up: it reconnects on its own when the server comes back. */
function Connection() {
  const state = useConvexConnectionState();
  const online = state.isWebSocketConnected;
  return (
    <span className={`connection ${online ? "online" : "offline"}`} data-testid="connection">
      {online ? "live" : "reconnecting…"}
    </span>
  );
}

function TokenBar() {
  const [token, setToken] = useState("");
  return (
    <form
      className="token-bar"
      onSubmit={(e) => {
        e.preventDefault();
        storeToken(token.trim());
      }}
    >
      <label>
        Analyst token (from the provider in <code>auth.config.ts</code>):{" "}
        <input value={token} onChange={(e) => setToken(e.target.value)} />
      </label>
      <button type="submit">Sign in</button>
    </form>
  );
}
