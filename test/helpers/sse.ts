/** Reads a Server-Sent Events answer of fetch() into events and comments, as they arrive. */

export interface SseItem {
  /** Set for an event; `message` when the stream named none. */
  event?: string;
  data?: string;
  /** Set for a comment line (`: heartbeat`), without the colon. */
  comment?: string;
  /** The event's id (`id:`), when it has one. */
  id?: string;
  /** The reconnection time the stream asks for (`retry:`), in ms. */
  retry?: number;
}

export async function* readSse(response: Response): AsyncGenerator<SseItem> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body!) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let blank: number;
    while ((blank = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, blank);
      buffer = buffer.slice(blank + 2);
      const item: SseItem = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) item.comment = line.slice(1).trim();
        else if (line.startsWith('event:')) item.event = line.slice(6).trim();
        else if (line.startsWith('id:')) item.id = line.slice(3).trim();
        else if (line.startsWith('retry:')) item.retry = Number(line.slice(6).trim());
        else if (line.startsWith('data:')) item.data = (item.data === undefined ? '' : `${item.data}\n`) + line.slice(5).trimStart();
      }
      if (item.data !== undefined && item.event === undefined) item.event = 'message';
      yield item;
    }
  }
}

/** Every event (comments skipped unless `withComments`) until the stream ends. */
export async function allEvents(response: Response, withComments = false): Promise<SseItem[]> {
  const items: SseItem[] = [];
  for await (const item of readSse(response)) if (withComments || item.event) items.push(item);
  return items;
}
