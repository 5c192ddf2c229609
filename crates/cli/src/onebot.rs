//! `botwire onebot …`: the account, sending, variables and tags (the export is in `export.rs`).

use botwire_core_types::onebot::{ContactId, ContactVariable, Messenger};
use botwire_onebot::blocking::{Client, DefaultTransport};
use botwire_onebot::endpoints::{GetContactVariables, MessageTarget, SendMessage};

use crate::cli::{
    ContactsCommand, OneBotArgs, OneBotCommand, OneBotSendArgs, TagCommand, VariableCommand,
};
use crate::error::CliError;
use crate::output::Out;
use crate::settings::{Env, onebot_client};

pub type OneBotClient = Client<DefaultTransport>;

pub fn run(args: OneBotArgs, out: Out, env: Env<'_>) -> Result<(), CliError> {
    let client = onebot_client(&args.connection, args.platform.map(|p| p.platform()), env)?;
    match args.command {
        OneBotCommand::Me => {
            let me = client.get_me()?;
            out.either(&me, || {
                let mut lines = vec![
                    me.name.clone().unwrap_or_else(|| "(no name)".to_owned()),
                    format!("account id: {}", me.id),
                ];
                if let Some(email) = &me.email {
                    lines.push(format!("email:      {email}"));
                }
                if let Some(phone) = &me.phone {
                    lines.push(format!("phone:      {phone}"));
                }
                lines.join("\n")
            })
        }
        OneBotCommand::Contacts(ContactsCommand::Export(export)) => {
            crate::export::run(&client, out, export)
        }
        OneBotCommand::Send(send_args) => send(&client, out, send_args),
        OneBotCommand::Variable(command) => variable(&client, out, command),
        OneBotCommand::Tag(command) => tag(&client, out, command),
    }
}

fn send(client: &OneBotClient, out: Out, args: OneBotSendArgs) -> Result<(), CliError> {
    let target = match (args.contact, args.to, args.bot_id, args.messenger) {
        (Some(contact), None, _, _) => MessageTarget::contact(contact),
        (None, Some(to), Some(bot), Some(messenger)) => {
            MessageTarget::external(bot, Messenger::parse(&messenger), to)
        }
        _ => {
            return Err(CliError::usage(
                "give --contact ID, or --to EXTERNAL_ID with --bot-id and --messenger",
            ));
        }
    };
    let message = match (args.text, args.image, args.file) {
        (Some(text), None, None) => SendMessage::text(target, text),
        (None, Some(url), None) => SendMessage::image(target, url),
        (None, None, Some(url)) => SendMessage::file(target, url),
        _ => {
            return Err(CliError::usage(
                "send one of: a text, --image URL or --file URL",
            ));
        }
    };
    let result = client.send_message(message)?;
    out.either(&result, || "sent".to_owned())
}

/// Every variable of a contact, across pages (the API pages them 100 at a time).
fn all_variables(client: &OneBotClient, contact: i64) -> Result<Vec<ContactVariable>, CliError> {
    let mut variables = Vec::new();
    let mut page = 1;
    loop {
        let answer = client.send(&GetContactVariables::new(contact).page(page))?;
        let next = answer.next_page();
        variables.extend(answer.data);
        match next {
            Some(n) if n > page => page = n,
            _ => return Ok(variables),
        }
    }
}

fn variable(client: &OneBotClient, out: Out, command: VariableCommand) -> Result<(), CliError> {
    match command {
        VariableCommand::Set {
            contact,
            name,
            value,
        } => {
            let set = client.set_contact_variable(ContactId(contact), name.clone(), value)?;
            out.either(&set, || format!("{name} = {}", set.value_str()))
        }
        VariableCommand::Get {
            contact,
            name: Some(name),
        } => {
            let variables = all_variables(client, contact)?;
            let found = variables
                .iter()
                .find(|v| v.name() == Some(name.as_str()))
                .ok_or_else(|| {
                    CliError::new(
                        crate::error::Exit::Api,
                        format!("contact {contact} has no variable `{name}`"),
                    )
                })?;
            out.either(found, || found.value_str().to_owned())
        }
        VariableCommand::Get {
            contact,
            name: None,
        } => {
            for v in all_variables(client, contact)? {
                out.either(&v, || {
                    format!("{} = {}", v.name().unwrap_or("?"), v.value_str())
                })?;
            }
            Ok(())
        }
        VariableCommand::Delete { contact, name } => {
            let result = client.delete_contact_variable(ContactId(contact), name.clone())?;
            out.either(&result, || format!("deleted {name}"))
        }
    }
}

fn tag(client: &OneBotClient, out: Out, command: TagCommand) -> Result<(), CliError> {
    match command {
        TagCommand::Attach { contact, tag } => {
            let result = client.attach_tag_to_contact(ContactId(contact), tag.clone())?;
            out.either(&result, || format!("tagged contact {contact} with {tag}"))
        }
        TagCommand::Detach { contact, tag } => {
            let result = client.detach_tag_from_contact(ContactId(contact), tag.clone())?;
            out.either(&result, || {
                format!("removed tag {tag} from contact {contact}")
            })
        }
        TagCommand::List { contact } => {
            for t in client.get_contact_tags(ContactId(contact))? {
                out.either(&t, || t.name.clone())?;
            }
            Ok(())
        }
    }
}
