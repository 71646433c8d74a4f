/** Where the Socket.IO and SockJS peers are mounted on their servers, for the servers and their clients alike. */

/** The path Socket.IO serves (its default). */
export const socketioPath = '/socket.io/';

/** Where SockJS is mounted: sessions are `<prefix>/<server>/<session>/<transport>`. */
export const sockjsPrefix = '/sockjs';
