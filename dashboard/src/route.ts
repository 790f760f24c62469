import { useEffect, useState } from "react";

export type Route =
  | { page: "feed" }
  | { page: "payment"; id: string }
  | { page: "customer"; id: string }
  | { page: "queue" }
  | { page: "charts" };

function parse(hash: string): Route {
  const [, page, id] = hash.replace(/^#/, "").split("/");
  if (page === "payment" && id) return { page, id };
  if (page === "customer" && id) return { page, id };
  if (page === "queue" || page === "charts") return { page };
  return { page: "feed" };
}

/** Hash routing: `#/`, `#/payment/<id>`, `#/customer/<id>`, `#/queue`, `#/charts`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
