//! Convenience methods for both clients, generated from one table so the two can never drift apart.

use botwire_core_types::onebot::{
    Account, ActionResult, BotId, Contact, ContactId, ContactVariable, Page, QueuedMessage, Tag,
};

#[cfg(feature = "sister-only-methods")]
use botwire_core_types::onebot::{FlexibleId, TextId, sister};

use crate::Error;
#[cfg(feature = "sister-only-methods")]
use crate::endpoints::sister::*;
use crate::endpoints::*;

botwire_transport::client_methods! {
    error: Error;

    /// `getMe`: the account that owns the token.
    fn get_me() -> Account = GetMe;
    /// `sendMessage`: a text, image or file to one contact (see [`SendMessage`]). Not retried automatically.
    fn send_message(message: SendMessage) -> ActionResult = message;
    /// `sendMessageToWhatsApp`: a text to a phone number through a WhatsApp bot; returns the contact.
    fn send_message_to_whatsapp(message: SendMessageToWhatsApp) -> Contact = message;
    /// `sendMessageToQueue`: one message into the broadcast queue (see [`SendMessageToQueue`]).
    fn send_message_to_queue(message: SendMessageToQueue) -> QueuedMessage = message;
    /// `getContacts`: one page of contacts; `contacts(…)` walks them all.
    fn get_contacts(query: GetContacts) -> Page<Contact> = query;
    /// `createOrUpdateContact`: upsert a contact; returns it.
    fn create_or_update_contact(contact: CreateOrUpdateContact) -> Contact = contact;
    /// `getContactVariables`: the first page of a contact's variables (either item shape).
    fn get_contact_variables(contact_id: impl Into<ContactId>) -> Page<ContactVariable> = GetContactVariables::new(contact_id);
    /// `setContactVariable`: set one variable (created when missing); returns it.
    fn set_contact_variable(contact_id: impl Into<ContactId>, name: impl Into<String>, value: impl Into<String>) -> ContactVariable = SetContactVariable::new(contact_id, name, value);
    /// `deleteContactVariable`: remove one variable, by id or name.
    fn delete_contact_variable(contact_id: impl Into<ContactId>, variable: impl Into<VariableRef>) -> ActionResult = DeleteContactVariable::new(contact_id, variable);
    /// `getBotTags`: the tag names of a bot.
    fn get_bot_tags(bot_id: impl Into<BotId>) -> Vec<Tag> = GetBotTags::new(bot_id);
    /// `getContactTags`: the tag names of a contact.
    fn get_contact_tags(contact_id: impl Into<ContactId>) -> Vec<Tag> = GetContactTags::new(contact_id);
    /// `attachTagToContact`: tag a contact, by tag id or name (a new name creates the tag).
    fn attach_tag_to_contact(contact_id: impl Into<ContactId>, tag: impl Into<TagRef>) -> ActionResult = AttachTagToContact::new(contact_id, tag);
    /// `detachTagFromContact`: untag a contact, by tag id or name.
    fn detach_tag_from_contact(contact_id: impl Into<ContactId>, tag: impl Into<TagRef>) -> ActionResult = DetachTagFromContact::new(contact_id, tag);
    /// `getContactAccounts` (sister platforms only): a contact's money accounts.
    #[cfg(feature = "sister-only-methods")]
    fn get_contact_accounts(contact_id: impl Into<ContactId>) -> Vec<sister::MoneyAccount> = GetContactAccounts::new(contact_id);
    /// `addContactAccount` (sister platforms only): open a money account.
    #[cfg(feature = "sister-only-methods")]
    fn add_contact_account(request: AddContactAccount) -> sister::MoneyAccount = request;
    /// `addFundsToContactAccount` (sister platforms only): credit an account.
    #[cfg(feature = "sister-only-methods")]
    fn add_funds_to_contact_account(request: AddFundsToContactAccount) -> sister::MoneyAccount = request;
    /// `withdrawFundsFromContactAccount` (sister platforms only): debit an account.
    #[cfg(feature = "sister-only-methods")]
    fn withdraw_funds_from_contact_account(request: WithdrawFundsFromContactAccount) -> sister::MoneyAccount = request;
    /// `deleteContactAccount` (sister platforms only): close an account.
    #[cfg(feature = "sister-only-methods")]
    fn delete_contact_account(account_id: impl Into<FlexibleId>) -> ActionResult = DeleteContactAccount::new(account_id);
    /// `getContactCryptoAccounts` (sister platforms only): a contact's crypto accounts.
    #[cfg(feature = "sister-only-methods")]
    fn get_contact_crypto_accounts(contact_id: impl Into<ContactId>) -> Vec<sister::CryptoAccount> = GetContactCryptoAccounts::new(contact_id);
    /// `addContactCryptoAccount` (sister platforms only): open a crypto account.
    #[cfg(feature = "sister-only-methods")]
    fn add_contact_crypto_account(request: AddContactCryptoAccount) -> sister::CryptoAccount = request;
    /// `addFundsToContactCryptoAccount` (sister platforms only): credit a crypto account.
    #[cfg(feature = "sister-only-methods")]
    fn add_funds_to_contact_crypto_account(request: AddFundsToContactCryptoAccount) -> sister::CryptoAccount = request;
    /// `withdrawFundsFromContactCryptoAccount` (sister platforms only): debit a crypto account.
    #[cfg(feature = "sister-only-methods")]
    fn withdraw_funds_from_contact_crypto_account(request: WithdrawFundsFromContactCryptoAccount) -> sister::CryptoAccount = request;
    /// `deleteContactCryptoAccount` (sister platforms only): close a crypto account.
    #[cfg(feature = "sister-only-methods")]
    fn delete_contact_crypto_account(account_id: impl Into<FlexibleId>) -> ActionResult = DeleteContactCryptoAccount::new(account_id);
    /// `getReferrals` (sister platforms only): one page of a contact's referrals.
    #[cfg(feature = "sister-only-methods")]
    fn get_referrals(request: GetReferrals) -> Page<sister::Referral> = request;
    /// `getReferrers` (sister platforms only): who invited a contact.
    #[cfg(feature = "sister-only-methods")]
    fn get_referrers(request: GetReferrers) -> sister::Referrers = request;
    /// `getCountReferrals` (sister platforms only): how many a contact invited.
    #[cfg(feature = "sister-only-methods")]
    fn get_count_referrals(request: GetCountReferrals) -> sister::ReferralCount = request;
    /// `setYsellStatus` (Watbot only): a marketplace status.
    #[cfg(feature = "sister-only-methods")]
    fn set_ysell_status(contact_id: impl Into<ContactId>, status: impl Into<String>) -> ActionResult = SetYsellStatus::new(contact_id, status);
    /// `getListSchemas` (sister platforms only): one page of list schemas.
    #[cfg(feature = "sister-only-methods")]
    fn get_list_schemas(request: GetListSchemas) -> Page<sister::ListSchema> = request;
    /// `getListSchema` (sister platforms only): one list schema.
    #[cfg(feature = "sister-only-methods")]
    fn get_list_schema(schema_id: impl Into<TextId>) -> sister::ListSchema = GetListSchema::new(schema_id);
    /// `createListSchema` (sister platforms only): create a list.
    #[cfg(feature = "sister-only-methods")]
    fn create_list_schema(request: CreateListSchema) -> sister::ListSchema = request;
    /// `addListSchemaField` (sister platforms only): add a field to a list.
    #[cfg(feature = "sister-only-methods")]
    fn add_list_schema_field(request: AddListSchemaField) -> ActionResult = request;
    /// `deleteListSchemaField` (sister platforms only): remove a field.
    #[cfg(feature = "sister-only-methods")]
    fn delete_list_schema_field(schema_id: impl Into<TextId>, slug: impl Into<String>) -> ActionResult = DeleteListSchemaField::new(schema_id, slug);
    /// `deleteListSchema` (sister platforms only): delete a list.
    #[cfg(feature = "sister-only-methods")]
    fn delete_list_schema(schema_id: impl Into<TextId>) -> ActionResult = DeleteListSchema::new(schema_id);
    /// `getListItems` (sister platforms only): one page of rows.
    #[cfg(feature = "sister-only-methods")]
    fn get_list_items(request: GetListItems) -> Page<sister::ListItem> = request;
    /// `addListItem` (sister platforms only): add a row.
    #[cfg(feature = "sister-only-methods")]
    fn add_list_item(request: AddListItem) -> sister::ListItem = request;
    /// `updateListItem` (sister platforms only): change a row.
    #[cfg(feature = "sister-only-methods")]
    fn update_list_item(request: UpdateListItem) -> sister::ListItem = request;
    /// `deleteListItem` (sister platforms only): delete a row.
    #[cfg(feature = "sister-only-methods")]
    fn delete_list_item(item_id: impl Into<TextId>) -> ActionResult = DeleteListItem::new(item_id);
    /// `decodeShortLink` (sister platforms only): the direct URL behind a short media link.
    #[cfg(feature = "sister-only-methods")]
    fn decode_short_link(url: impl Into<String>) -> sister::ShortLink = DecodeShortLink::new(url);
}
