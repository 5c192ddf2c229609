//! Walking every contact: a blocking iterator, an async [`Stream`], and `find_contact`.
//!
//! Each page is a fresh `getContacts` request with `page=N+1` against the configured base URL; `links.next` is
//! never followed (on OneBot it points at `onebot.tech`, another host than the API). Walking stops after the
//! page that reaches `meta.last_page`, after an empty page, or after a list without a paginator.
//!
//! **Pacing.** OneBot allows 2 requests per second. These helpers send one request per page and do no waiting
//! of their own: pacing is the transport's job. Give the client a throttled transport (the `Throttle` layer of
//! `botwire-transport`) when walking large lists against the real platform. Without `count`, the helpers ask
//! for the maximum page size (500), so 1,234 contacts take 3 requests.

use std::collections::VecDeque;

use botwire_core_types::limits::ONEBOT_CONTACTS_PAGE;
use botwire_core_types::onebot::{Contact, Page};
use botwire_transport::{AsyncTransport, BlockingTransport};
use futures_core::Stream;

use crate::endpoints::GetContacts;
use crate::{Client, Error, blocking};

/// The paging state machine shared by the iterator and the stream (no I/O).
#[derive(Debug, Clone)]
pub struct ContactPager {
    query: GetContacts,
    next: Option<u32>,
    buffer: VecDeque<Contact>,
}

impl ContactPager {
    /// Starts at `query.page` (default 1), with `query.count` (default 500) per page.
    pub fn new(mut query: GetContacts) -> Self {
        if query.count.is_none() {
            query.count = Some(ONEBOT_CONTACTS_PAGE);
        }
        Self {
            next: Some(query.page.unwrap_or(1)),
            query,
            buffer: VecDeque::new(),
        }
    }

    /// The request for the next page, or `None` when the last page has been read.
    pub fn next_request(&self) -> Option<GetContacts> {
        self.next.map(|page| self.query.clone().page(page))
    }

    /// Takes in the answer to [`ContactPager::next_request`].
    pub fn accept(&mut self, page: Page<Contact>) {
        let requested = self.next.unwrap_or(1);
        let last = match &page.meta {
            None => true,
            Some(_) if page.data.is_empty() => true,
            Some(meta) => meta.last_page.is_some_and(|last| requested >= last),
        };
        self.next = if last { None } else { requested.checked_add(1) };
        self.buffer.extend(page.data);
    }

    /// The next buffered contact.
    pub fn pop(&mut self) -> Option<Contact> {
        self.buffer.pop_front()
    }

    /// Stops after what is buffered (used after an error).
    pub fn finish(&mut self) {
        self.next = None;
    }
}

/// Every contact matching a query, page after page ([`blocking::Client::contacts`]).
///
/// Yields `Err` once if a page fails, then ends.
#[derive(Debug)]
pub struct Contacts<'a, T> {
    client: &'a blocking::Client<T>,
    pager: ContactPager,
}

impl<T: BlockingTransport> Iterator for Contacts<'_, T> {
    type Item = Result<Contact, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(contact) = self.pager.pop() {
                return Some(Ok(contact));
            }
            let request = self.pager.next_request()?;
            match self.client.send(&request) {
                Ok(page) => self.pager.accept(page),
                Err(e) => {
                    self.pager.finish();
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<T: BlockingTransport> blocking::Client<T> {
    /// Every contact matching `query` (usually `GetContacts::new().bot_id(…)`), fetching pages as needed.
    ///
    /// Paced by the transport only (see the [module docs](crate::paging)).
    ///
    /// ```
    /// use botwire_onebot::{Config, blocking::Client, endpoints::GetContacts};
    /// use botwire_transport::{HttpRequest, HttpResponse, TransportError};
    ///
    /// let transport = |req: HttpRequest| -> Result<HttpResponse, TransportError> {
    ///     let page = if req.uri().query().unwrap_or("").contains("page=1") { 1 } else { 2 };
    ///     let body = format!(
    ///         r#"{{"data":[{{"id":{page}}}],"meta":{{"current_page":{page},"last_page":2}}}}"#
    ///     );
    ///     Ok(http::Response::new(body.into_bytes()))
    /// };
    /// let client = Client::new(Config::new("t"), transport);
    /// let ids: Vec<i64> = client
    ///     .contacts(GetContacts::new().bot_id(7))
    ///     .map(|c| c.map(|c| c.id.get()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(ids, [1, 2]);
    /// # Ok::<(), botwire_onebot::Error>(())
    /// ```
    pub fn contacts(&self, query: GetContacts) -> Contacts<'_, T> {
        Contacts {
            client: self,
            pager: ContactPager::new(query),
        }
    }

    /// The first contact matching `query` for which `predicate` holds, paging until one does. `Ok(None)` when
    /// no contact matches. There is no server-side lookup by messenger id (reference §1.6), so this is the way
    /// to find a contact by `telegram_id`, phone or a variable.
    pub fn find_contact(
        &self,
        query: GetContacts,
        mut predicate: impl FnMut(&Contact) -> bool,
    ) -> Result<Option<Contact>, Error> {
        for contact in self.contacts(query) {
            let contact = contact?;
            if predicate(&contact) {
                return Ok(Some(contact));
            }
        }
        Ok(None)
    }
}

impl<T: AsyncTransport> Client<T> {
    /// Every contact matching `query` as a [`Stream`], fetching pages as it is polled.
    ///
    /// Paced by the transport only (see the [module docs](crate::paging)). Yields `Err` once if a page fails,
    /// then ends.
    pub fn contacts(
        &self,
        query: GetContacts,
    ) -> impl Stream<Item = Result<Contact, Error>> + Send + '_ {
        futures_util::stream::unfold(
            (self, ContactPager::new(query)),
            |(client, mut pager)| async move {
                loop {
                    if let Some(contact) = pager.pop() {
                        return Some((Ok(contact), (client, pager)));
                    }
                    let request = pager.next_request()?;
                    match client.send(&request).await {
                        Ok(page) => pager.accept(page),
                        Err(e) => {
                            pager.finish();
                            return Some((Err(e), (client, pager)));
                        }
                    }
                }
            },
        )
    }

    /// The first contact matching `query` for which `predicate` holds, paging until one does.
    pub async fn find_contact(
        &self,
        query: GetContacts,
        mut predicate: impl FnMut(&Contact) -> bool,
    ) -> Result<Option<Contact>, Error> {
        let mut pager = ContactPager::new(query);
        while let Some(request) = pager.next_request() {
            pager.accept(self.send(&request).await?);
            while let Some(contact) = pager.pop() {
                if predicate(&contact) {
                    return Ok(Some(contact));
                }
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[i64], current: u32, last: Option<u32>) -> Page<Contact> {
        let json = serde_json::json!({
            "data": ids.iter().map(|i| serde_json::json!({"id": i})).collect::<Vec<_>>(),
            "links": {"next": "https://onebot.tech/api/v1/getContacts?page=999"},
            "meta": {"current_page": current, "last_page": last},
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn pages_until_last_page_or_empty_page_and_ignores_links() {
        let mut p = ContactPager::new(GetContacts::new().bot_id(1));
        assert_eq!(p.next_request().unwrap().page, Some(1));
        assert_eq!(p.next_request().unwrap().count, Some(500));
        p.accept(page(&[1, 2], 1, Some(2)));
        assert_eq!(p.next_request().unwrap().page, Some(2));
        p.accept(page(&[3], 2, Some(2)));
        assert!(p.next_request().is_none());
        let ids: Vec<i64> = std::iter::from_fn(|| p.pop()).map(|c| c.id.get()).collect();
        assert_eq!(ids, [1, 2, 3]);

        let mut p = ContactPager::new(GetContacts::new());
        p.accept(page(&[1], 1, None));
        assert_eq!(p.next_request().unwrap().page, Some(2));
        p.accept(page(&[], 2, None));
        assert!(p.next_request().is_none());

        let mut p = ContactPager::new(GetContacts::new());
        p.accept(Page::plain(vec![Contact::new(1)]));
        assert!(p.next_request().is_none(), "a plain list is one page");
    }
}
