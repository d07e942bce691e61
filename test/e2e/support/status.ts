/** The router's status JSON as an operator's script reads it (bearer token), typed by the reader. */
export async function readStatus<Status>(routerUrl: string, adminToken: string): Promise<Status> {
  const res = await fetch(`${routerUrl}/__lb/status`, { headers: { authorization: `Bearer ${adminToken}` } });
  return (await res.json()) as Status;
}
